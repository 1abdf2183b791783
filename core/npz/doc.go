// Package npz reads and writes NumPy arrays: single .npy files and .npz
// archives (a zip of .npy entries, as numpy.savez writes them).
//
// The reader is strict and bounded, for files a user hands over: it reads
// the header dictionary
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }
//
// accepts little-endian float64, float32, int64, int32 and uint8 ('<f8',
// '<f4', '<i8', '<i4', '|u1') in C order, checks every size against a
// caller's limit before allocating, and never panics on malformed input
// (FuzzReadNPY, FuzzReader). Values come back as float64: float32 and the
// integers up to 2⁵³ are represented exactly.
//
// The writer writes version 1.0 headers with the shape stated in full, so
// an empty axis survives, in the dtypes above.
package npz
