#include "textflag.h"

// func dotRowsAVX2(dst, q, K *float32, stride, n, L int)
// dst[j] = dot(q[:n], K[j*stride : j*stride+n]) for j < L, each summed in
// exactly dotAVX2's order (four 8-lane FMA accumulators over blocks of 32,
// one over blocks of 8, the same horizontal sum, a scalar FMA tail), so
// every dst[j] has Dot's bits.
TEXT ·dotRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), R9
	MOVQ q+8(FP), R10
	MOVQ K+16(FP), R11
	MOVQ stride+24(FP), R12
	SHLQ $2, R12
	MOVQ n+32(FP), R13
	MOVQ L+40(FP), R14

drrow:
	TESTQ R14, R14
	JE    drdone
	MOVQ  R10, SI
	MOVQ  R11, DI
	MOVQ  R13, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dr32:
	CMPQ CX, $32
	JL   dr8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  dr32

dr8:
	CMPQ CX, $8
	JL   drreduce
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  dr8

drreduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

drtail:
	CMPQ CX, $0
	JE   drstore
	VMOVSS (SI), X4
	VFMADD231SS (DI), X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  drtail

drstore:
	VMOVSS X0, (R9)
	ADDQ   $4, R9
	ADDQ   R12, R11
	DECQ   R14
	JMP    drrow

drdone:
	VZEROUPPER
	RET

// func axpyRowsAVX2(out, p, V *float32, stride, n, L int)
// For j = 0, 1, ..., L-1 in turn: out[i] += p[j] * V[j*stride+i], i < n,
// one FMA per element per key as axpyAVX2 does, with out kept in
// registers across the keys (32 or 8 columns at a time).
TEXT ·axpyRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ p+8(FP), R9
	MOVQ V+16(FP), R10
	MOVQ stride+24(FP), R12
	SHLQ $2, R12
	MOVQ n+32(FP), CX
	MOVQ L+40(FP), R14

ar32:
	CMPQ CX, $32
	JL   ar8
	VMOVUPS (DI), Y1
	VMOVUPS 32(DI), Y2
	VMOVUPS 64(DI), Y3
	VMOVUPS 96(DI), Y4
	MOVQ R9, R8
	MOVQ R10, SI
	MOVQ R14, BX

ar32k:
	TESTQ BX, BX
	JE    ar32st
	VBROADCASTSS (R8), Y0
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VFMADD231PS 64(SI), Y0, Y3
	VFMADD231PS 96(SI), Y0, Y4
	ADDQ $4, R8
	ADDQ R12, SI
	DECQ BX
	JMP  ar32k

ar32st:
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, DI
	ADDQ $128, R10
	SUBQ $32, CX
	JMP  ar32

ar8:
	CMPQ CX, $8
	JL   artail
	VMOVUPS (DI), Y1
	MOVQ R9, R8
	MOVQ R10, SI
	MOVQ R14, BX

ar8k:
	TESTQ BX, BX
	JE    ar8st
	VBROADCASTSS (R8), Y0
	VFMADD231PS (SI), Y0, Y1
	ADDQ $4, R8
	ADDQ R12, SI
	DECQ BX
	JMP  ar8k

ar8st:
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	ADDQ $32, R10
	SUBQ $8, CX
	JMP  ar8

artail:
	CMPQ CX, $0
	JE   ardone
	VMOVSS (DI), X1
	MOVQ R9, R8
	MOVQ R10, SI
	MOVQ R14, BX

artailk:
	TESTQ BX, BX
	JE    artailst
	VMOVSS (R8), X0
	VFMADD231SS (SI), X0, X1
	ADDQ $4, R8
	ADDQ R12, SI
	DECQ BX
	JMP  artailk

artailst:
	VMOVSS X1, (DI)
	ADDQ $4, DI
	ADDQ $4, R10
	DECQ CX
	JMP  artail

ardone:
	VZEROUPPER
	RET
