#include "textflag.h"

// func subScaledAsm(dst, x *float64, a float64, y *float64, n int)
// dst = x − a·y: VMULPD then VSUBPD, each rounded (no FMA), 16 a block.
TEXT ·subScaledAsm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	VBROADCASTSD a+16(FP), Y0
	MOVQ y+24(FP), R8
	MOVQ n+32(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX
	JZ tail

loop:
	VMULPD (R8)(AX*8), Y0, Y1
	VMULPD 32(R8)(AX*8), Y0, Y2
	VMULPD 64(R8)(AX*8), Y0, Y3
	VMULPD 96(R8)(AX*8), Y0, Y4
	VMOVUPD (SI)(AX*8), Y5
	VMOVUPD 32(SI)(AX*8), Y6
	VMOVUPD 64(SI)(AX*8), Y7
	VMOVUPD 96(SI)(AX*8), Y8
	VSUBPD Y1, Y5, Y5
	VSUBPD Y2, Y6, Y6
	VSUBPD Y3, Y7, Y7
	VSUBPD Y4, Y8, Y8
	VMOVUPD Y5, (DI)(AX*8)
	VMOVUPD Y6, 32(DI)(AX*8)
	VMOVUPD Y7, 64(DI)(AX*8)
	VMOVUPD Y8, 96(DI)(AX*8)
	ADDQ $16, AX
	CMPQ AX, DX
	JLT loop

tail:
	CMPQ AX, CX
	JGE done
	VMULSD (R8)(AX*8), X0, X1
	VMOVSD (SI)(AX*8), X5
	VSUBSD X1, X5, X5
	VMOVSD X5, (DI)(AX*8)
	INCQ AX
	JMP tail

done:
	VZEROUPPER
	RET

// func shrinkAsm(dst, mu *float64, c float64, x *float64, a float64, n int)
// dst = mu + c·(x − a·mu), each operation rounded in that order (no FMA).
TEXT ·shrinkAsm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ mu+8(FP), SI
	VBROADCASTSD c+16(FP), Y0
	MOVQ x+24(FP), R8
	VBROADCASTSD a+32(FP), Y9
	MOVQ n+40(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-8, DX
	JZ tail2

loop2:
	VMOVUPD (SI)(AX*8), Y1
	VMOVUPD 32(SI)(AX*8), Y2
	VMULPD Y1, Y9, Y3
	VMULPD Y2, Y9, Y4
	VMOVUPD (R8)(AX*8), Y5
	VMOVUPD 32(R8)(AX*8), Y6
	VSUBPD Y3, Y5, Y5
	VSUBPD Y4, Y6, Y6
	VMULPD Y5, Y0, Y5
	VMULPD Y6, Y0, Y6
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VMOVUPD Y1, (DI)(AX*8)
	VMOVUPD Y2, 32(DI)(AX*8)
	ADDQ $8, AX
	CMPQ AX, DX
	JLT loop2

tail2:
	CMPQ AX, CX
	JGE done2
	VMOVSD (SI)(AX*8), X1
	VMULSD X1, X9, X3
	VMOVSD (R8)(AX*8), X5
	VSUBSD X3, X5, X5
	VMULSD X5, X0, X5
	VADDSD X5, X1, X1
	VMOVSD X1, (DI)(AX*8)
	INCQ AX
	JMP tail2

done2:
	VZEROUPPER
	RET

// func addScaledDiffAsm(y *float64, a float64, m, x *float64, n int)
// y += a·(m − x), each operation rounded in that order (no FMA).
TEXT ·addScaledDiffAsm(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DI
	VBROADCASTSD a+8(FP), Y0
	MOVQ m+16(FP), SI
	MOVQ x+24(FP), R8
	MOVQ n+32(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-8, DX
	JZ tail3

loop3:
	VMOVUPD (SI)(AX*8), Y1
	VMOVUPD 32(SI)(AX*8), Y2
	VSUBPD (R8)(AX*8), Y1, Y1
	VSUBPD 32(R8)(AX*8), Y2, Y2
	VMULPD Y1, Y0, Y1
	VMULPD Y2, Y0, Y2
	VADDPD (DI)(AX*8), Y1, Y1
	VADDPD 32(DI)(AX*8), Y2, Y2
	VMOVUPD Y1, (DI)(AX*8)
	VMOVUPD Y2, 32(DI)(AX*8)
	ADDQ $8, AX
	CMPQ AX, DX
	JLT loop3

tail3:
	CMPQ AX, CX
	JGE done3
	VMOVSD (SI)(AX*8), X1
	VSUBSD (R8)(AX*8), X1, X1
	VMULSD X1, X0, X1
	VADDSD (DI)(AX*8), X1, X1
	VMOVSD X1, (DI)(AX*8)
	INCQ AX
	JMP tail3

done3:
	VZEROUPPER
	RET
