"""The fixed-effects regression engine shared by `twfe`, `sun_abraham`, `did_imputation` and
`wild_bootstrap`: absorbing fixed effects, OLS, CRV1 with fixest's conventions
(`fixed_effects`), the input checks and two-way fit of the regression event studies
(`panel_input`), and covariate specifications as formulas or column lists (`formula`)."""
