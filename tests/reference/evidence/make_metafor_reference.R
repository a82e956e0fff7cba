# Reference tau^2 and estimates from R metafor for ldn's REML and ML engine (kept, as lifelines
# keeps its R calls; CI reads the stored JSON and never runs R).
#
#   apt-get install -y r-cran-metafor r-cran-jsonlite      # Debian: metafor 3.8-1, R 4.2.2
#   Rscript tests/reference/evidence/make_metafor_reference.R
#
# writes metafor_reml_ml.json beside this file. For every data set and method ("REML", "ML"):
#
#   default: rma(yi, vi, method = m, control = list(threshold = 1e-12, maxiter = 10000))
#   global:  the same call started at the best point of a fine profile-likelihood grid
#            (control = list(tau2.init = <grid argmax>, ...)); tau2 = 0 is a grid point
#   reference = whichever of the two has the larger metafor logLik(); the grid is 0 and 4,000
#   log-spaced points from 1e-9 min(vi) to 8 range(yi)^2 + 2 max(vi) (the maximum lies below
#   4 range^2 or max vi, see ldn.domain.evidence.likelihood); its local maxima are counted.
#
# metafor warns "Fisher scoring algorithm may have gotten stuck at a local maximum. Setting
# tau^2 = 0" on some sets (its own safeguard); the started fit and the grid settle those.
#
# Data: 200 random sets (k = 3..6), every set with a multimodal REML or ML profile likelihood or
# a default fit short of the global maximum among 3,000 sets from a wider family, and hand-picked
# sets (identical effects, tau^2 at the boundary, k = 2, two clusters, dat.bcg).
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
set.seed(20261125)

out_file <- file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))),
                      "metafor_reml_ml.json")
ctrl <- list(threshold = 1e-12, maxiter = 10000)

# profile log-likelihood up to a constant (mu profiled out), as metafor's, for the grid only
prof_ll <- function(t, y, v, reml) {
  V <- outer(t, v, "+")
  W <- 1 / V
  sw <- rowSums(W)
  mu <- as.vector(W %*% y) / sw
  Q <- rowSums(W * (matrix(y, length(t), length(y), byrow = TRUE) - mu)^2)
  -0.5 * (rowSums(log(V)) + Q + if (reml) log(sw) else 0)
}

grid_for <- function(y, v) {
  hi <- 8 * diff(range(y))^2 + 2 * max(v)
  c(0, exp(seq(log(1e-9 * min(v)), log(hi), length.out = 4000)))
}

# the number of local maxima on the grid (tau^2 = 0 counts when the likelihood falls from it);
# steps below 1e-12 are rounding in flat stretches and do not count as a change of direction
local_maxima <- function(ll) {
  d <- diff(ll)
  s <- sign(d) * (abs(d) > 1e-12 * (1 + abs(ll[-1])))
  s <- s[s != 0]
  if (length(s) == 0) return(1L)
  as.integer((s[1] < 0) + sum(s[-length(s)] > 0 & s[-1] < 0) + (s[length(s)] > 0))
}

fit <- function(y, v, m, init = NULL) {
  ctl <- ctrl
  if (!is.null(init)) ctl$tau2.init <- init
  r <- tryCatch(rma(y, v, method = m, control = ctl), error = function(e) NULL)
  if (is.null(r)) return(NULL)
  list(tau2 = r$tau2, estimate = as.numeric(r$b), se = r$se, loglik = as.numeric(logLik(r)))
}

reference <- function(id, family, y, v) {
  g <- grid_for(y, v)
  res <- list(id = id, family = family, yi = y, vi = v)
  for (m in c("REML", "ML")) {
    ll <- prof_ll(g, y, v, m == "REML")
    n_max <- local_maxima(ll)
    d <- fit(y, v, m)
    s <- fit(y, v, m, init = g[which.max(ll)])
    best <- if (is.null(d) || (!is.null(s) && s$loglik > d$loglik)) s else d
    # the reference must be at least as good as the grid (to rounding of logLik)
    gap <- max(ll) - prof_ll(best$tau2, y, v, m == "REML")
    if (gap > 1e-9) stop(sprintf("%s %s: metafor fit below the grid maximum by %g", id, m, gap))
    res[[m]] <- list(tau2 = best$tau2, estimate = best$estimate, se = best$se,
                     local_maxima = n_max,
                     default_tau2 = if (is.null(d)) NA else d$tau2,
                     default_is_global = !is.null(d) && abs(d$tau2 - best$tau2) <= 1e-8 * max(1, best$tau2))
  }
  res
}

sets <- list()
add <- function(id, family, y, v) sets[[length(sets) + 1]] <<- reference(id, family, y, v)

# 1. 200 random small sets
for (i in 1:200) {
  k <- sample(3:6, 1)
  v <- exp(runif(k, log(0.005), log(2)))
  y <- rnorm(k, 0, sqrt(v + sample(c(0, 0.05, 0.3), 1)))
  add(sprintf("random-%03d", i), "random", y, v)
}

# 2. a wider family searched for multimodal likelihoods and default fits short of the maximum
n_kept <- 0
for (i in 1:3000) {
  k <- sample(3:6, 1)
  v <- exp(runif(k, log(1e-3), log(10)))
  y <- rnorm(k, 0, sqrt(v + rexp(1, 2)))
  if (runif(1) < 0.3) y[1] <- y[1] + sample(c(-1, 1), 1) * runif(1, 1, 5)
  g <- grid_for(y, v)
  multi <- any(sapply(c(TRUE, FALSE), function(r) local_maxima(prof_ll(g, y, v, r)) > 1))
  if (!multi) {
    short <- any(sapply(c("REML", "ML"), function(m) {
      d <- fit(y, v, m)
      ll <- prof_ll(g, y, v, m == "REML")
      is.null(d) || max(ll) - prof_ll(d$tau2, y, v, m == "REML") > 1e-9
    }))
    if (!short) next
  }
  n_kept <- n_kept + 1
  add(sprintf("search-%04d", i), "multimodal search", y, v)
}

# 3. hand-picked
add("identical", "hand-picked", c(0.3, 0.3, 0.3, 0.3), c(0.04, 0.1, 0.02, 0.3))
add("boundary-tight", "hand-picked", c(-0.30, -0.28, -0.33, -0.29, -0.31), c(0.05, 0.04, 0.06, 0.05, 0.03))
add("two-studies", "hand-picked", c(-0.6, 0.1), c(0.02, 0.05))
add("two-studies-homogeneous", "hand-picked", c(-0.2, -0.1), c(0.02, 0.05))
add("two-clusters", "hand-picked", c(0, 0.05, -0.02, 3, 3.2), c(0.001, 0.002, 0.0015, 4, 6))
add("precise-outlier", "hand-picked", c(0, 0.1, -0.1, 2.5), c(0.5, 0.6, 0.4, 0.001))
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add("dat.bcg", "hand-picked", as.numeric(bcg$yi), as.numeric(bcg$vi))

meta <- list(
  generated_by = "tests/reference/evidence/make_metafor_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  seed = 20261125,
  kept_from_search = n_kept,
  sets = sets
)
writeLines(toJSON(meta, auto_unbox = TRUE, digits = NA, pretty = FALSE, na = "null"), out_file)
cat(sprintf("%d sets (%d from the search) written to %s\n", length(sets), n_kept, out_file))
for (m in c("REML", "ML")) {
  cat(sprintf("%s: %d multimodal, %d where the default metafor fit is not the global maximum\n", m,
              sum(sapply(sets, function(s) s[[m]]$local_maxima > 1)),
              sum(sapply(sets, function(s) !s[[m]]$default_is_global))))
}
