#include "textflag.h"

// func transpose8Strip(src *float32, lds int, dst *float32, ldd int, nblk int)
// Transposes nblk consecutive 8×8 blocks of an 8-row strip:
// dst[(8b+p)*ldd + r] = src[r*lds + 8b + p] for r, p < 8, b < nblk.
// Rows r and r+4 share a register (one per 128-bit lane), so each block
// takes 8 unpacks and 8 shuffles.
TEXT ·transpose8Strip(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), R8
	SHLQ $2, R8
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), R11
	SHLQ $2, R11
	MOVQ nblk+32(FP), CX
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	LEAQ (R11)(R11*2), R12

tloop:
	TESTQ CX, CX
	JE    tdone
	VMOVUPS     (SI), X0
	VINSERTF128 $1, (R10), Y0, Y0
	VMOVUPS     (SI)(R8*1), X1
	VINSERTF128 $1, (R10)(R8*1), Y1, Y1
	VMOVUPS     (SI)(R8*2), X2
	VINSERTF128 $1, (R10)(R8*2), Y2, Y2
	VMOVUPS     (SI)(R9*1), X3
	VINSERTF128 $1, (R10)(R9*1), Y3, Y3
	VMOVUPS     16(SI), X4
	VINSERTF128 $1, 16(R10), Y4, Y4
	VMOVUPS     16(SI)(R8*1), X5
	VINSERTF128 $1, 16(R10)(R8*1), Y5, Y5
	VMOVUPS     16(SI)(R8*2), X6
	VINSERTF128 $1, 16(R10)(R8*2), Y6, Y6
	VMOVUPS     16(SI)(R9*1), X7
	VINSERTF128 $1, 16(R10)(R9*1), Y7, Y7
	VUNPCKLPS   Y1, Y0, Y8
	VUNPCKHPS   Y1, Y0, Y9
	VUNPCKLPS   Y3, Y2, Y10
	VUNPCKHPS   Y3, Y2, Y11
	VUNPCKLPS   Y5, Y4, Y12
	VUNPCKHPS   Y5, Y4, Y13
	VUNPCKLPS   Y7, Y6, Y14
	VUNPCKHPS   Y7, Y6, Y15
	VSHUFPS     $0x44, Y10, Y8, Y0
	VSHUFPS     $0xEE, Y10, Y8, Y1
	VSHUFPS     $0x44, Y11, Y9, Y2
	VSHUFPS     $0xEE, Y11, Y9, Y3
	VSHUFPS     $0x44, Y14, Y12, Y4
	VSHUFPS     $0xEE, Y14, Y12, Y5
	VSHUFPS     $0x44, Y15, Y13, Y6
	VSHUFPS     $0xEE, Y15, Y13, Y7
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, (DI)(R11*1)
	VMOVUPS     Y2, (DI)(R11*2)
	VMOVUPS     Y3, (DI)(R12*1)
	LEAQ        (DI)(R11*4), R13
	VMOVUPS     Y4, (R13)
	VMOVUPS     Y5, (R13)(R11*1)
	VMOVUPS     Y6, (R13)(R11*2)
	VMOVUPS     Y7, (R13)(R12*1)
	LEAQ        (R13)(R11*4), DI
	ADDQ        $32, SI
	ADDQ        $32, R10
	DECQ        CX
	JMP         tloop

tdone:
	VZEROUPPER
	RET
