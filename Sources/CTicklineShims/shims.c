// Intentionally empty: every shim is a static inline function in the header.
