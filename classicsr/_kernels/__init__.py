"""Private Numba kernels.  Kernels take contiguous arrays and scalars, allocate only what they
are asked to, validate nothing and import nothing from the public modules."""
