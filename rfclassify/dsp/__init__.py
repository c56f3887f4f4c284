"""Pure, stateless DSP functions (numpy in, numpy out, units in the names)."""
