package tool

import (
	"errors"
	"strings"
	"testing"
)

func TestFindLastCall(t *testing.T) {
	names := []string{"calc", "search", "run"}
	tests := []struct {
		text  string
		ok    bool
		tool  string
		input string
	}{
		{"think <calc>1+2</calc>", true, "calc", "1+2"},
		{"x <calc>1+2</calc> \n\t", true, "calc", "1+2"},
		{"<calc>a</calc> then <search>cats</search>", true, "search", "cats"},
		{"<calc></calc>", true, "calc", ""},
		{"<calc>1</calc> more text", false, "", ""},
		{"<calc>1+2", false, "", ""},
		{"1+2</calc>", false, "", ""},
		{"<calc>1<calc>2</calc>", false, "", ""},
		{"<calc>1</calc>2</calc>", false, "", ""},
		{"<calc>1<run>2</calc>", false, "", ""},
		{"<search>1</calc>", false, "", ""},
		{"<shell>ls</shell>", false, "", ""},
		{"<calc>" + strings.Repeat("1", MaxInput) + "</calc>", true, "calc", strings.Repeat("1", MaxInput)},
		{"<calc>" + strings.Repeat("1", MaxInput+1) + "</calc>", false, "", ""},
		{"", false, "", ""},
	}
	for _, tc := range tests {
		c, ok := FindLastCall(tc.text, names)
		if ok != tc.ok || c.Tool != tc.tool || c.Input != tc.input {
			t.Errorf("FindLastCall(%.40q) = %+v, %v; want %q %q %v", tc.text, c, ok, tc.tool, tc.input, tc.ok)
			continue
		}
		if ok {
			want := "<" + c.Tool + ">" + c.Input + "</" + c.Tool + ">"
			if tc.text[c.Start:c.End] != want {
				t.Errorf("offsets %d:%d give %q, want %q", c.Start, c.End, tc.text[c.Start:c.End], want)
			}
		}
	}
}

func FuzzFindLastCall(f *testing.F) {
	for _, s := range []string{"<calc>1</calc>", "a<run>x</run>  ", "<calc><calc></calc>", "</calc>", "<search>q</search>\n"} {
		f.Add(s)
	}
	names := []string{"calc", "search", "run"}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := FindLastCall(s, names)
		if !ok {
			return
		}
		want := "<" + c.Tool + ">" + c.Input + "</" + c.Tool + ">"
		if c.Start < 0 || c.End > len(s) || c.Start > c.End || s[c.Start:c.End] != want {
			t.Fatalf("%q: call %+v does not match its offsets", s, c)
		}
		if strings.TrimSpace(s[c.End:]) != "" || len(c.Input) > MaxInput {
			t.Fatalf("%q: call %+v does not end the text or is too long", s, c)
		}
	})
}

func TestFormat(t *testing.T) {
	if got := Format("7", nil); got != "<result>7</result>\n" {
		t.Errorf("Format ok = %q", got)
	}
	if got := Format("ignored", errors.New("bad")); got != "<error>bad</error>\n" {
		t.Errorf("Format err = %q", got)
	}
	long := strings.Repeat("é", MaxOutput) // 2 bytes per rune
	got := Format(long, nil)
	body := strings.TrimSuffix(strings.TrimPrefix(got, "<result>"), "</result>\n")
	if !strings.HasSuffix(body, "...[truncated 4096 bytes]") {
		t.Errorf("Format long: body ends %q", body[len(body)-40:])
	}
	if kept := strings.TrimSuffix(body, "...[truncated 4096 bytes]"); kept != long[:MaxOutput] {
		t.Errorf("Format long kept %d bytes, want %d", len(kept), MaxOutput)
	}
	odd := "a" + long // cut falls inside a rune: back off one byte
	body = strings.TrimSuffix(strings.TrimPrefix(Format(odd, nil), "<result>"), "</result>\n")
	if !strings.HasSuffix(body, "...[truncated 4098 bytes]") {
		t.Errorf("Format odd: body ends %q", body[len(body)-40:])
	}
}
