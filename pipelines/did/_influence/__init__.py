"""Inference from influence functions: analytic standard errors on R `did`'s scale, the
multiplier bootstrap, and the intervals (pointwise or uniform) built from them."""
