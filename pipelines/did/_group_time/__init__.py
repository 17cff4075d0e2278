"""Callaway & Sant'Anna (2021) internals behind `att_gt`: validation and reshaping of long data,
the (g,t) cells and their comparison groups, the 2x2 DiD estimators (panel and repeated
cross-sections) with their nuisance models, and the batched estimation of every cell."""
