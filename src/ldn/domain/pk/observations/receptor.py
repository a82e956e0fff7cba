"""Published mu-opioid receptor occupancy (PET) and blockade statements (quotes, doses in mg
naltrexone HCl; see :mod:`ldn.domain.pk.observations`).
"""

from __future__ import annotations

from ldn.domain.pk.observations.record import DAILY_50MG, SINGLE_50MG, Observation

__all__ = ["RECEPTOR"]

RECEPTOR: tuple[Observation, ...] = (
    # ---- mu-receptor occupancy (PET) ----
    *(
        Observation(
            f"rabiner-{d:g}mg-{i}",
            "Rabiner 2011 PET (Trøstheim 2022 Table 1)",
            ("rabiner-2011", "trostheim-2022"),
            "healthy volunteers",
            dose_mg=d,
            formulation="tablet",
            analyte="mu",
            quantity="occupancy_mean",
            value=v,
            n=1,
            unit="fraction",
            window_h=(1.0, 8.0),
            use="fit",
            quote="Rabiner et al. (2011) PET 20 < 8 h 2 mg 27% 5 mg 43% 5 mg 46% 5 mg 58% 15 mg 61% 50 mg 92% 50 mg 98%",
            note="One subject each; scan time only 'within 8 h': compared as the mean over 1-8 h.",
        )
        for i, (d, v) in enumerate(
            (
                (2.0, 0.27),
                (5.0, 0.43),
                (5.0, 0.46),
                (5.0, 0.58),
                (15.0, 0.61),
                (50.0, 0.92),
                (50.0, 0.98),
            )
        )
    ),
    Observation(
        "swiss-48h",
        "Swiss label",
        ("swiss-fachinfo-naltrexon",),
        "label summary",
        dose_mg=50.0,
        formulation="tablet",
        analyte="mu",
        quantity="occupancy_at",
        value=0.75,
        low=0.70,
        high=0.80,
        unit="fraction",
        interval_h=48.0,
        n_doses=10,
        time_h=48.0,
        use="fit",
        quote="Bei einer oralen Dosis von 50 mg pro Tag, jeden zweiten Tag appliziert, sind nach 48 Stunden noch 70-80% der Opioidrezeptoren blockiert.",
        note="Compared 48 h after the 10th dose of 50 mg every 48 h.",
    ),
    Observation(
        "lee-half-time",
        "Lee 1988 (dual detector, 50 mg)",
        ("lee-1988",),
        "5 healthy volunteers",
        **SINGLE_50MG,
        analyte="mu",
        quantity="blockade_half_time",
        value=88.2,
        low=72.0,
        high=108.0,
        n=5,
        unit="h",
        use="fit",
        quote="The half-time of blockade by naltrexone in the brain ranged from 72 to 108 hr",
        note="Compared as the time for occupancy to fall to half its value 1 h after the dose (scans at 1, 48, 72, 120, 168 h); value = geometric mean of the range.",
    ),
    Observation(
        "weerts-ss",
        "Weerts 2008 PET",
        ("weerts-2008",),
        "21 recently abstinent alcohol-dependent patients",
        **DAILY_50MG,
        analyte="mu",
        quantity="occupancy_mean",
        value=0.949,
        sd=0.049,
        n=21,
        unit="fraction",
        window_h=(0.0, 24.0),
        use="fit",
        quote="Naltrexone inhibition of [11C]CAR BP was near maximal across all brain regions of interest with little variability across subjects (mean+SD% inhibition=94.9+4.9%).",
        note="Time of the scan after the dose not in the abstract: compared with the mean over the dosing interval.",
    ),
    # ---- qualitative blockade statements (held out, compared by eye) ----
    *(
        Observation(
            f"heroin-{d:g}mg-{h:g}h",
            "Label heroin challenge (Davis's Drug Guide table)",
            ("davis-drug-guide-naltrexone",),
            "label summary",
            dose_mg=d,
            formulation="tablet",
            analyte="mu",
            quantity="occupancy_at",
            value=None,
            unit="fraction",
            time_h=h,
            use="held-out",
            quote=f"{d:g} mg PO ... duration {h:g} hr; determined by blockade of effects of 25 mg heroin IV",
            note="The model should give a similar occupancy at the three end points if one threshold defines 'blocked'.",
        )
        for d, h in ((50.0, 24.0), (100.0, 48.0), (150.0, 72.0))
    ),
    *(
        Observation(
            f"cpt2005-{d:g}mg-{h:g}h",
            "Carfentanil PET, interim (Clin Pharmacol Ther 2005)",
            ("cpt-2005-naltrexone-pet",),
            f"healthy volunteers (n = {n})",
            dose_mg=d,
            formulation="tablet",
            analyte="mu",
            quantity="occupancy_at",
            value=None,
            unit="fraction",
            time_h=h,
            use="held-out",
            quote=q,
            note="Significance of a voxel-wise PET map, not an occupancy: compared by eye.",
        )
        for d, n, h, q in (
            (12.5, 4, 24.0, "24H ... 12.5 mg P < 0.001"),
            (12.5, 4, 72.0, "72H ... 12.5 mg NS"),
            (50.0, 5, 72.0, "72H ... 50/100 mg P < 0.001"),
            (50.0, 5, 144.0, "144H ... 50/100 mg P < 0.01 (left temporal lobe)"),
        )
    ),
)
