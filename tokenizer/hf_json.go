package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The JSON shapes of tokenizer.json. Unknown fields are ignored, as the
// reference libraries ignore them.

type hfFile struct {
	Version       string          `json:"version"`
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         json.RawMessage `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
}

type hfAddedToken struct {
	ID         *int32  `json:"id"`
	Content    *string `json:"content"`
	SingleWord bool    `json:"single_word"`
	LStrip     bool    `json:"lstrip"`
	RStrip     bool    `json:"rstrip"`
	Normalized *bool   `json:"normalized"`
	Special    bool    `json:"special"`
}

type hfModel struct {
	Type                    string           `json:"type"`
	Vocab                   map[string]int32 `json:"vocab"`
	Merges                  json.RawMessage  `json:"merges"`
	Dropout                 *float64         `json:"dropout"`
	UnkToken                *string          `json:"unk_token"`
	ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	FuseUnk                 bool             `json:"fuse_unk"`
	ByteFallback            bool             `json:"byte_fallback"`
	IgnoreMerges            bool             `json:"ignore_merges"`
}

// hfPattern is a Split/Replace pattern: {"String": s} or {"Regex": r}.
type hfPattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// hfComponent holds the fields of every supported normalizer,
// pre-tokenizer, post-processor and decoder; "type" says which apply.
type hfComponent struct {
	Type string `json:"type"`
	// Sequences.
	Normalizers   []json.RawMessage `json:"normalizers"`
	PreTokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	Decoders      []json.RawMessage `json:"decoders"`
	// Replace, Split.
	Pattern  *hfPattern `json:"pattern"`
	Content  *string    `json:"content"`
	Behavior string     `json:"behavior"`
	Invert   bool       `json:"invert"`
	// Prepend.
	Prepend *string `json:"prepend"`
	// Strip (normalizer), Strip (decoder).
	StripLeft  *bool `json:"strip_left"`
	StripRight *bool `json:"strip_right"`
	Start      *int  `json:"start"`
	Stop       *int  `json:"stop"`
	// BertNormalizer.
	CleanText          *bool `json:"clean_text"`
	HandleChineseChars *bool `json:"handle_chinese_chars"`
	StripAccents       *bool `json:"strip_accents"`
	Lowercase          *bool `json:"lowercase"`
	// ByteLevel.
	AddPrefixSpace *bool `json:"add_prefix_space"`
	TrimOffsets    *bool `json:"trim_offsets"`
	UseRegex       *bool `json:"use_regex"`
	// Metaspace.
	Replacement   *string `json:"replacement"`
	PrependScheme *string `json:"prepend_scheme"`
	Split         *bool   `json:"split"`
	// Digits.
	IndividualDigits bool `json:"individual_digits"`
	// TemplateProcessing.
	Single        []hfTemplatePiece               `json:"single"`
	Pair          []hfTemplatePiece               `json:"pair"`
	SpecialTokens map[string]hfTemplateSpecialTok `json:"special_tokens"`
	// BertProcessing, RobertaProcessing: [token, id].
	Sep *[2]json.RawMessage `json:"sep"`
	Cls *[2]json.RawMessage `json:"cls"`
	// BPEDecoder.
	Suffix *string `json:"suffix"`
}

type hfTemplatePiece struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

type hfTemplateSpecialTok struct {
	ID  string  `json:"id"`
	IDs []int32 `json:"ids"`
}

// isNull reports whether a raw JSON value is absent or null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// decodeComponent parses one component object, naming field in errors.
func decodeComponent(raw json.RawMessage, field string) (*hfComponent, error) {
	var c hfComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return &c, nil
}

// parseMerges reads model.merges in either form: ["a b", ...] or [["a", "b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("model.merges: %w (want a list of \"a b\" strings or of [a, b] pairs)", err)
	}
	out := make([][2]string, len(items))
	for i, it := range items {
		t := bytes.TrimSpace(it)
		if len(t) > 0 && t[0] == '"' {
			var s string
			if err := json.Unmarshal(t, &s); err != nil {
				return nil, fmt.Errorf("model.merges[%d]: %w", i, err)
			}
			a, b, ok := cutSpace(s)
			if !ok {
				return nil, fmt.Errorf("model.merges[%d]: %q is not two tokens separated by one space", i, s)
			}
			out[i] = [2]string{a, b}
			continue
		}
		var p []string
		if err := json.Unmarshal(t, &p); err != nil || len(p) != 2 {
			return nil, fmt.Errorf("model.merges[%d]: want \"a b\" or [a, b], got %.40s", i, t)
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}

// cutSpace splits "a b" at its only space.
func cutSpace(s string) (string, string, bool) {
	n := 0
	k := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			n++
			k = i
		}
	}
	if n != 1 {
		return "", "", false
	}
	return s[:k], s[k+1:], true
}
