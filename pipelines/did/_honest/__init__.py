"""HonestDiD internals behind `honest_did`: the conditional least-favourable hybrid sets for
relative-magnitude restrictions (`arp`), fixed-length intervals under smoothness restrictions
(`flci`), the conditional-FLCI hybrid sets under sign and shape restrictions (`conditional`,
solving its many small LPs with `small_lp`), and the R-compatible simulation draws (`rng`)."""
