package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// Tensor is a named float32 tensor.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// MaxHeaderBytes bounds the JSON header of a safetensors file (the format's
// reference implementation uses the same 100 MB limit).
const MaxHeaderBytes = 100 << 20

type entry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// EncodeSafetensors serialises tensors (float32, "F32") and string metadata
// in the safetensors layout: an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the data.
func EncodeSafetensors(tensors []Tensor, meta map[string]string) ([]byte, error) {
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	var off int64
	seen := map[string]bool{}
	for _, t := range tensors {
		if t.Name == "" || t.Name == "__metadata__" || seen[t.Name] {
			return nil, fmt.Errorf("safetensors: invalid or repeated tensor name %q", t.Name)
		}
		seen[t.Name] = true
		n := 1
		for _, s := range t.Shape {
			n *= s
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %s has shape %v (%d elements) but %d values", t.Name, t.Shape, n, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = entry{DType: "F32", Shape: shape, Offsets: [2]int64{off, off + 4*int64(n)}}
		off += 4 * int64(n)
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(hj)%8 != 0 { // align the data section, as the reference writer does
		hj = append(hj, ' ')
	}
	out := make([]byte, 8+len(hj)+int(off))
	binary.LittleEndian.PutUint64(out, uint64(len(hj)))
	copy(out[8:], hj)
	p := 8 + len(hj)
	for _, t := range tensors {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(out[p:], math.Float32bits(v))
			p += 4
		}
	}
	return out, nil
}

// WriteSafetensors encodes and writes a file atomically.
func WriteSafetensors(path string, tensors []Tensor, meta map[string]string) error {
	data, err := EncodeSafetensors(tensors, meta)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteFileAtomic(path, data)
}

// ReadSafetensors reads and validates a safetensors file.
func ReadSafetensors(path string) (map[string]Tensor, map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	ts, meta, err := DecodeSafetensors(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}

// DecodeSafetensors parses a safetensors buffer, converting F32, F16 and
// BF16 tensors to float32. It rejects, with an error naming the problem, a
// header length beyond the buffer or MaxHeaderBytes, malformed JSON, an
// unknown dtype, a shape that does not match its byte range, byte ranges
// outside the data section, overlapping or leaving holes.
func DecodeSafetensors(data []byte) (map[string]Tensor, map[string]string, error) {
	if len(data) < 8 {
		return nil, nil, fmt.Errorf("safetensors: file of %d bytes is too short for the 8-byte header length", len(data))
	}
	hlen := binary.LittleEndian.Uint64(data)
	if hlen > MaxHeaderBytes {
		return nil, nil, fmt.Errorf("safetensors: header length %d exceeds the %d-byte limit", hlen, MaxHeaderBytes)
	}
	if hlen > uint64(len(data)-8) {
		return nil, nil, fmt.Errorf("safetensors: header length %d runs past the end of the %d-byte file", hlen, len(data))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+hlen], &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header is not a JSON object: %w", err)
	}
	body := data[8+hlen:]
	var meta map[string]string
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	out := map[string]Tensor{}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		size := map[string]int64{"F32": 4, "F16": 2, "BF16": 2}[e.DType]
		if size == 0 {
			return nil, nil, fmt.Errorf("safetensors: tensor %q has unsupported dtype %q (want F32, F16 or BF16)", name, e.DType)
		}
		n := int64(1)
		for _, s := range e.Shape {
			if s < 0 || (s > 0 && n > math.MaxInt32/int64(s)) {
				return nil, nil, fmt.Errorf("safetensors: tensor %q has invalid shape %v", name, e.Shape)
			}
			n *= int64(s)
		}
		b, en := e.Offsets[0], e.Offsets[1]
		if b < 0 || en < b || en > int64(len(body)) {
			return nil, nil, fmt.Errorf("safetensors: tensor %q has byte range [%d, %d) outside the %d-byte data section", name, b, en, len(body))
		}
		if en-b != n*size {
			return nil, nil, fmt.Errorf("safetensors: tensor %q of shape %v and dtype %s needs %d bytes, its range holds %d", name, e.Shape, e.DType, n*size, en-b)
		}
		vals := make([]float32, n)
		src := body[b:en]
		for i := range vals {
			switch e.DType {
			case "F32":
				vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
			case "BF16":
				vals[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
			case "F16":
				vals[i] = halfToFloat(binary.LittleEndian.Uint16(src[2*i:]))
			}
		}
		out[name] = Tensor{Name: name, Shape: e.Shape, Data: vals}
		spans = append(spans, span{name, b, en})
	}
	sort.Slice(spans, func(i, j int) bool {
		return spans[i].begin < spans[j].begin || (spans[i].begin == spans[j].begin && spans[i].end < spans[j].end)
	})
	var at int64
	for _, s := range spans {
		if s.begin < at {
			return nil, nil, fmt.Errorf("safetensors: tensor %q overlaps the tensor before it", s.name)
		}
		if s.begin > at {
			return nil, nil, fmt.Errorf("safetensors: hole of %d bytes before tensor %q", s.begin-at, s.name)
		}
		at = s.end
	}
	if at != int64(len(body)) {
		return nil, nil, fmt.Errorf("safetensors: %d bytes after the last tensor are not described by the header", int64(len(body))-at)
	}
	return out, meta, nil
}

// halfToFloat converts an IEEE 754 binary16 value to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		v := float32(frac) / 1024 * float32(math.Pow(2, -14))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 31:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}
