"""HonestDiD internals behind `honest_did`: the conditional least-favourable hybrid sets for
relative-magnitude restrictions (`arp`), fixed-length intervals under smoothness restrictions
(`flci`), and the R-compatible simulation draws both use (`rng`)."""
