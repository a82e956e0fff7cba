"""Charts (matplotlib, PNG and SVG) drawn from domain results.

Beside the domain, not in it: the domain computes, this package draws. matplotlib is used with
the non-interactive Agg backend only, so charts render on a server without a screen.
"""
