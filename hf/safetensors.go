package hf

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/autodidact-rl/autodidact/checkpoint"
)

// stTensor is one tensor of a safetensors file, its bytes still in the
// (memory-mapped) file.
type stTensor struct {
	name, file, dtype string
	shape             []int
	data              []byte
}

var dtypeSize = map[string]int{"F32": 4, "F16": 2, "BF16": 2}

// parseSafetensors validates a safetensors buffer's header (as strictly as
// checkpoint.DecodeSafetensors: bounds, dtype, sizes, no overlaps or
// holes) and returns its tensors without converting them.
func parseSafetensors(file string, data []byte) (map[string]*stTensor, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%s: file of %d bytes is too short for the 8-byte header length", file, len(data))
	}
	hlen := binary.LittleEndian.Uint64(data)
	if hlen > checkpoint.MaxHeaderBytes || hlen > uint64(len(data)-8) {
		return nil, fmt.Errorf("%s: header length %d runs past the end of the %d-byte file (or the %d-byte limit)", file, hlen, len(data), checkpoint.MaxHeaderBytes)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+hlen], &raw); err != nil {
		return nil, fmt.Errorf("%s: header is not a JSON object: %w", file, err)
	}
	body := data[8+hlen:]
	out := map[string]*stTensor{}
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			DType   string   `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("%s: tensor %s: %w", file, name, err)
		}
		size := int64(dtypeSize[e.DType])
		if size == 0 {
			return nil, fmt.Errorf("%s: tensor %s has unsupported dtype %q (supported: F32, F16, BF16)", file, name, e.DType)
		}
		n := int64(1)
		for _, s := range e.Shape {
			if s < 0 || (s > 0 && n > math.MaxInt64/8/int64(s)) {
				return nil, fmt.Errorf("%s: tensor %s has invalid shape %v", file, name, e.Shape)
			}
			n *= int64(s)
		}
		b, en := e.Offsets[0], e.Offsets[1]
		if b < 0 || en < b || en > int64(len(body)) {
			return nil, fmt.Errorf("%s: tensor %s has byte range [%d, %d) outside the %d-byte data section", file, name, b, en, len(body))
		}
		if en-b != n*size {
			return nil, fmt.Errorf("%s: tensor %s of shape %v and dtype %s needs %d bytes, its range holds %d", file, name, e.Shape, e.DType, n*size, en-b)
		}
		out[name] = &stTensor{name: name, file: file, dtype: e.DType, shape: e.Shape, data: body[b:en]}
		spans = append(spans, span{name, b, en})
	}
	sort.Slice(spans, func(i, j int) bool {
		return spans[i].begin < spans[j].begin || (spans[i].begin == spans[j].begin && spans[i].end < spans[j].end)
	})
	var at int64
	for _, s := range spans {
		if s.begin < at {
			return nil, fmt.Errorf("%s: tensor %s overlaps the tensor before it", file, s.name)
		}
		if s.begin > at {
			return nil, fmt.Errorf("%s: hole of %d bytes before tensor %s", file, s.begin-at, s.name)
		}
		at = s.end
	}
	if at != int64(len(body)) {
		return nil, fmt.Errorf("%s: %d bytes after the last tensor are not described by the header", file, int64(len(body))-at)
	}
	return out, nil
}

// convert writes the tensor's values as float32 into dst (len = elements).
func (t *stTensor) convert(dst []float32) {
	src := t.data
	switch t.dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case "BF16":
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
	case "F16":
		for i := range dst {
			dst[i] = halfToFloat(binary.LittleEndian.Uint16(src[2*i:]))
		}
	}
}

func (t *stTensor) elements() int {
	n := 1
	for _, s := range t.shape {
		n *= s
	}
	return n
}

// halfToFloat converts an IEEE 754 binary16 value to float32 (exactly).
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		v := float32(frac) * float32(1.0/(1<<24))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 31:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}

// toBF16 rounds a float32 to bfloat16, to nearest with ties to even (as
// torch does); NaN stays NaN.
func toBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// outTensor is a tensor to write: float32 values stored as dtype.
type outTensor struct {
	name  string
	shape []int
	data  []float32
}

// writeSafetensors streams tensors to path (atomically: a temporary file
// in the same directory, renamed) as F32 or BF16, without building the
// file in memory.
func writeSafetensors(path string, ts []outTensor, dtype string, meta map[string]string) (err error) {
	size := int64(dtypeSize[dtype])
	if dtype != "F32" && dtype != "BF16" {
		return fmt.Errorf("export dtype %q is not supported (supported: F32, BF16)", dtype)
	}
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	var off int64
	for _, t := range ts {
		n := int64(len(t.data))
		header[t.name] = map[string]any{"dtype": dtype, "shape": t.shape, "data_offsets": [2]int64{off, off + n*size}}
		off += n * size
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(len(hj)))
	w.Write(lenb[:])
	w.Write(hj)
	var buf [4]byte
	for _, t := range ts {
		for _, v := range t.data {
			if dtype == "F32" {
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
				w.Write(buf[:4])
			} else {
				binary.LittleEndian.PutUint16(buf[:], toBF16(v))
				w.Write(buf[:2])
			}
		}
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
