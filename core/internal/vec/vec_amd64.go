package vec

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2 kernels and useAVX512 the AVX-512 ones (declared
// in kernels_amd64.go); every path gives the bits of the Go reference.
// Tests switch them to compare.
var (
	useAsm    = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	useAVX512 = useAsm && cpu.X86.HasAVX512F
)
