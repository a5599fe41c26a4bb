package task

import "testing"

func TestChainFirstError(t *testing.T) {
	// 7+3*2-5: 7+3=10, 10*2=20, 20-5=15.
	cases := []struct {
		name, completion string
		at               int
		fix              string
	}{
		{"all steps right", "7+3=10\n10*2=20\n20-5=15\n#### 15", -1, ""},
		{"direct right", "#### 15", -1, ""},
		{"direct wrong", "#### 14", 0, "7+3=10"},
		{"arith error at step 2", "7+3=10\n10*2=21\n21-5=16\n#### 16", 1, "10*2=20"},
		{"wrong answer line after right steps", "7+3=10\n10*2=20\n20-5=15\n#### 16", 3, "#### 15"},
		{"cut before the answer", "7+3=10\n10*2=20\n", 2, "20-5=15"},
		{"cut after the steps", "7+3=10\n10*2=20\n20-5=15", 3, "#### 15"},
		{"spaces ignored, recovery after a wrong line", "7 + 3 = 10\n10*2=22\nundo 1\n10*2=20\n20-5=15\n#### 15", 1, "10*2=20"},
		{"empty", "", 0, "7+3=10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at, fix, err := ChainFirstError("7+3*2-5", "15", c.completion, "#### ")
			if err != nil {
				t.Fatal(err)
			}
			if at != c.at || fix != c.fix {
				t.Fatalf("got (%d, %q), want (%d, %q)", at, fix, c.at, c.fix)
			}
		})
	}
	if _, _, err := ChainFirstError("7+", "7", "#### 7", "#### "); err == nil {
		t.Fatal("a malformed question must be an error")
	}
}
