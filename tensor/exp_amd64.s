#include "textflag.h"

// Vector forms of Exp (math.go), eight lanes with AVX2, doing exactly the
// scalar's float32 operations in the scalar's order (separate multiplies
// and adds, no FMA), so every lane equals Exp's result bit for bit. A
// vector with an input outside [-87, 88] (or NaN) is left to the scalar
// code: each function returns how many leading elements it wrote, a
// multiple of 8, stopping at the first such vector or at the tail.
//
// Constants (expConsts, uint32 bits): 0 log2e, 1 0.5, 2 ln2hi, 3 ln2lo,
// 4 1/720, 5 1/120, 6 1/24, 7 1/6, 8 1, 9 127 (int), 10 sign bit,
// 11 88, 12 -87.
//
// Registers: Y8 log2e, Y9 0.5, Y10 ln2hi, Y11 ln2lo, Y12 1/120,
// Y13 1/24, Y14 1/6, Y15 1; CX the constants.

#define LOADCONSTS \
	VBROADCASTSS 0(CX), Y8; \
	VBROADCASTSS 4(CX), Y9; \
	VBROADCASTSS 8(CX), Y10; \
	VBROADCASTSS 12(CX), Y11; \
	VBROADCASTSS 20(CX), Y12; \
	VBROADCASTSS 24(CX), Y13; \
	VBROADCASTSS 28(CX), Y14; \
	VBROADCASTSS 32(CX), Y15

// INRANGE(bad): jump to bad unless every lane of Y0 is in [-87, 88].
#define INRANGE(bad) \
	VBROADCASTSS 44(CX), Y7; \
	VCMPPS $0x12, Y7, Y0, Y1; \
	VBROADCASTSS 48(CX), Y7; \
	VCMPPS $0x1D, Y7, Y0, Y2; \
	VANDPS Y2, Y1, Y1; \
	VMOVMSKPS Y1, AX; \
	CMPL AX, $0xFF; \
	JNE bad

// EXP: Y0 = Exp(Y0); clobbers Y1-Y4.
#define EXP \
	VMULPS Y8, Y0, Y1; \
	VADDPS Y9, Y1, Y1; \
	VROUNDPS $1, Y1, Y1; \
	VMULPS Y10, Y1, Y2; \
	VSUBPS Y2, Y0, Y2; \
	VMULPS Y11, Y1, Y3; \
	VSUBPS Y3, Y2, Y2; \
	VBROADCASTSS 16(CX), Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS Y12, Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS Y13, Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS Y14, Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS Y9, Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS Y15, Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS Y15, Y3, Y3; \
	VCVTTPS2DQ Y1, Y4; \
	VPBROADCASTD 36(CX), Y1; \
	VPADDD Y1, Y4, Y4; \
	VPSLLD $23, Y4, Y4; \
	VMULPS Y4, Y3, Y0

// func expShiftAVX2(dst, src *float32, n int, shift float32, k *uint32) int
// dst[i] = Exp(src[i] - shift).
TEXT ·expShiftAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), DX
	VBROADCASTSS shift+24(FP), Y6
	MOVQ k+32(FP), CX
	LOADCONSTS
	XORQ BX, BX

esloop:
	LEAQ 8(BX), R8
	CMPQ R8, DX
	JG   esdone
	VMOVUPS (SI)(BX*4), Y0
	VSUBPS Y6, Y0, Y0
	INRANGE(esdone)
	EXP
	VMOVUPS Y0, (DI)(BX*4)
	MOVQ R8, BX
	JMP  esloop

esdone:
	VZEROUPPER
	MOVQ BX, ret+40(FP)
	RET

// func swigluForwardAVX2(h, gate, up *float32, n int, k *uint32) int
// h[i] = gate[i] * s * up[i] with s = 1 / (1 + Exp(-gate[i])).
TEXT ·swigluForwardAVX2(SB), NOSPLIT, $0-48
	MOVQ h+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), R9
	MOVQ n+24(FP), DX
	MOVQ k+32(FP), CX
	LOADCONSTS
	VBROADCASTSS 40(CX), Y6
	XORQ BX, BX

sfloop:
	LEAQ 8(BX), R8
	CMPQ R8, DX
	JG   sfdone
	VMOVUPS (SI)(BX*4), Y5
	VXORPS Y6, Y5, Y0
	INRANGE(sfdone)
	EXP
	VADDPS Y15, Y0, Y0
	VDIVPS Y0, Y15, Y0
	VMULPS Y0, Y5, Y1
	VMOVUPS (R9)(BX*4), Y2
	VMULPS Y2, Y1, Y1
	VMOVUPS Y1, (DI)(BX*4)
	MOVQ R8, BX
	JMP  sfloop

sfdone:
	VZEROUPPER
	MOVQ BX, ret+40(FP)
	RET

// func swigluBackwardAVX2(dgate, dup, dh, gate, up *float32, n int, k *uint32) int
// s = 1/(1+Exp(-a)), a = gate[i]: dup[i] += dh[i]*a*s and
// dgate[i] += dh[i]*up[i]*(s + a*s*(1-s)).
TEXT ·swigluBackwardAVX2(SB), NOSPLIT, $0-64
	MOVQ dgate+0(FP), DI
	MOVQ dup+8(FP), R10
	MOVQ dh+16(FP), R11
	MOVQ gate+24(FP), SI
	MOVQ up+32(FP), R9
	MOVQ n+40(FP), DX
	MOVQ k+48(FP), CX
	LOADCONSTS
	VBROADCASTSS 40(CX), Y6
	XORQ BX, BX

sbloop:
	LEAQ 8(BX), R8
	CMPQ R8, DX
	JG   sbdone
	VMOVUPS (SI)(BX*4), Y5
	VXORPS Y6, Y5, Y0
	INRANGE(sbdone)
	EXP
	VADDPS Y15, Y0, Y0
	VDIVPS Y0, Y15, Y0
	// dup += (dh*a)*s
	VMOVUPS (R11)(BX*4), Y1
	VMULPS Y5, Y1, Y2
	VMULPS Y0, Y2, Y2
	VMOVUPS (R10)(BX*4), Y3
	VADDPS Y2, Y3, Y3
	VMOVUPS Y3, (R10)(BX*4)
	// dgate += (dh*up) * (s + (a*s)*(1-s))
	VMULPS Y0, Y5, Y2
	VSUBPS Y0, Y15, Y3
	VMULPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y2
	VMOVUPS (R9)(BX*4), Y3
	VMULPS Y3, Y1, Y1
	VMULPS Y2, Y1, Y1
	VMOVUPS (DI)(BX*4), Y3
	VADDPS Y1, Y3, Y3
	VMOVUPS Y3, (DI)(BX*4)
	MOVQ R8, BX
	JMP  sbloop

sbdone:
	VZEROUPPER
	MOVQ BX, ret+56(FP)
	RET
