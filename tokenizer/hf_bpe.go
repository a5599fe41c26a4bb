package tokenizer

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// bpeModel is the BPE model of a tokenizer.json, run as the Rust library
// runs it: a word is split into characters (each a vocab id, else its
// <0xNN> byte tokens when byte_fallback is on, else unk_token), then the
// pair of lowest merge rank (leftmost on ties) is merged until none is left.
type bpeModel struct {
	vocab        map[string]int32
	merges       map[uint64]mergeInfo // (left id, right id) -> rank, new id
	unk          int32                // -1: none
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	prefix       string     // continuing_subword_prefix
	suffix       string     // end_of_word_suffix
	byteIDs      [256]int32 // <0xNN> ids, -1 when absent

	mu    sync.RWMutex
	cache map[string][]int32
}

type mergeInfo struct{ rank, id int32 }

const (
	bpeCacheMax     = 1 << 16 // entries; the cache is cleared when full
	bpeCacheWordMax = 256     // bytes; longer words are not cached
)

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// tokenize appends the ids of one pre-token.
func (m *bpeModel) tokenize(dst []int32, word string) []int32 {
	if word == "" {
		return dst
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return append(dst, id)
		}
	}
	cacheable := len(word) <= bpeCacheWordMax
	if cacheable {
		m.mu.RLock()
		ids, ok := m.cache[word]
		m.mu.RUnlock()
		if ok {
			return append(dst, ids...)
		}
	}
	start := len(dst)
	dst = m.merge(dst, word)
	if cacheable {
		ids := append([]int32(nil), dst[start:]...)
		m.mu.Lock()
		if len(m.cache) >= bpeCacheMax {
			clear(m.cache)
		}
		m.cache[word] = ids
		m.mu.Unlock()
	}
	return dst
}

type bpeSymbol struct {
	id         int32
	prev, next int32
	alive      bool
}

type bpeMerge struct{ rank, pos, id int32 }

func (a bpeMerge) less(b bpeMerge) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos)
}

// mergeHeap is a binary min-heap of pending merges.
type mergeHeap []bpeMerge

func (h *mergeHeap) push(x bpeMerge) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].less(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *mergeHeap) pop() bpeMerge {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && s[l].less(s[m]) {
			m = l
		}
		if r < n && s[r].less(s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// merge splits word into symbols and applies the merges.
func (m *bpeModel) merge(dst []int32, word string) []int32 {
	syms := make([]bpeSymbol, 0, len(word))
	add := func(id int32) {
		n := int32(len(syms))
		syms = append(syms, bpeSymbol{id: id, prev: n - 1, next: n + 1, alive: true})
	}
	lastUnk := false
	var sb strings.Builder
	for i, r := range word {
		w := utf8.RuneLen(r)
		if r == utf8.RuneError {
			w = 1 // word is valid UTF-8; this keeps the slice in range regardless
			if i+3 <= len(word) && word[i:i+3] == "\uFFFD" {
				w = 3
			}
		}
		s := word[i : i+w]
		if m.prefix != "" && i > 0 || m.suffix != "" && i+w == len(word) {
			sb.Reset()
			if i > 0 {
				sb.WriteString(m.prefix)
			}
			sb.WriteString(s)
			if i+w == len(word) {
				sb.WriteString(m.suffix)
			}
			s = sb.String()
		}
		if id, ok := m.vocab[s]; ok {
			add(id)
			lastUnk = false
			continue
		}
		if m.byteFallback {
			ok := true
			for k := 0; k < w; k++ {
				if m.byteIDs[word[i+k]] < 0 {
					ok = false
					break
				}
			}
			if ok {
				for k := 0; k < w; k++ {
					add(m.byteIDs[word[i+k]])
				}
				lastUnk = false
				continue
			}
		}
		if m.unk >= 0 {
			if !(m.fuseUnk && lastUnk) {
				add(m.unk)
			}
			lastUnk = true
		}
	}
	if len(syms) == 0 {
		return dst
	}
	syms[len(syms)-1].next = -1
	if len(syms) > 1 && len(m.merges) > 0 {
		h := make(mergeHeap, 0, len(syms))
		for i := 0; i+1 < len(syms); i++ {
			if mi, ok := m.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
				h.push(bpeMerge{mi.rank, int32(i), mi.id})
			}
		}
		for len(h) > 0 {
			top := h.pop()
			cur := &syms[top.pos]
			if !cur.alive || cur.next < 0 {
				continue
			}
			right := syms[cur.next]
			if mi, ok := m.merges[pairKey(cur.id, right.id)]; !ok || mi.id != top.id {
				continue // stale entry
			}
			cur.id = top.id
			syms[cur.next].alive = false
			cur.next = right.next
			if right.next >= 0 {
				syms[right.next].prev = top.pos
			}
			if cur.prev >= 0 {
				if mi, ok := m.merges[pairKey(syms[cur.prev].id, cur.id)]; ok {
					h.push(bpeMerge{mi.rank, cur.prev, mi.id})
				}
			}
			if cur.next >= 0 {
				if mi, ok := m.merges[pairKey(cur.id, syms[cur.next].id)]; ok {
					h.push(bpeMerge{mi.rank, top.pos, mi.id})
				}
			}
		}
	}
	for i := range syms {
		if syms[i].alive {
			dst = append(dst, syms[i].id)
		}
	}
	return dst
}

// newBPE builds the model from its parsed JSON.
func newBPE(j *hfModel) (*bpeModel, error) {
	m := &bpeModel{
		vocab:        j.Vocab,
		unk:          -1,
		fuseUnk:      j.FuseUnk,
		byteFallback: j.ByteFallback,
		ignoreMerges: j.IgnoreMerges,
		cache:        map[string][]int32{},
	}
	if m.vocab == nil {
		return nil, fmt.Errorf("model.vocab: missing (want an object of token: id)")
	}
	for tok, id := range m.vocab {
		if id < 0 {
			return nil, fmt.Errorf("model.vocab[%q]: id %d is negative", tok, id)
		}
	}
	if j.Dropout != nil && *j.Dropout != 0 {
		return nil, fmt.Errorf("model.dropout: %v is not supported (want null or 0: encoding must be deterministic)", *j.Dropout)
	}
	if j.ContinuingSubwordPrefix != nil {
		m.prefix = *j.ContinuingSubwordPrefix
	}
	if j.EndOfWordSuffix != nil {
		m.suffix = *j.EndOfWordSuffix
	}
	if j.UnkToken != nil {
		id, ok := m.vocab[*j.UnkToken]
		if !ok {
			return nil, fmt.Errorf("model.unk_token: %q is not in model.vocab", *j.UnkToken)
		}
		m.unk = id
	}
	for b := 0; b < 256; b++ {
		m.byteIDs[b] = -1
		if id, ok := m.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteIDs[b] = id
		}
	}
	pairs, err := parseMerges(j.Merges)
	if err != nil {
		return nil, err
	}
	m.merges = make(map[uint64]mergeInfo, len(pairs))
	for rank, p := range pairs {
		a, okA := m.vocab[p[0]]
		b, okB := m.vocab[p[1]]
		// As in the Rust library, the prefix is dropped from the right part.
		right := p[1]
		if m.prefix != "" {
			right = strings.TrimPrefix(right, m.prefix)
		}
		n, okN := m.vocab[p[0]+right]
		switch {
		case !okA:
			return nil, fmt.Errorf("model.merges[%d]: %q is not in model.vocab", rank, p[0])
		case !okB:
			return nil, fmt.Errorf("model.merges[%d]: %q is not in model.vocab", rank, p[1])
		case !okN:
			return nil, fmt.Errorf("model.merges[%d]: merged token %q is not in model.vocab", rank, p[0]+right)
		}
		// A repeated pair takes its last rank, as in both reference libraries.
		m.merges[pairKey(a, b)] = mergeInfo{int32(rank), n}
	}
	return m, nil
}
