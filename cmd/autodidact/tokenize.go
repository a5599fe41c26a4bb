package main

import (
	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/tokenizer"
)

// newTokenizeCmd is `autodidact tokenize --tokenizer FILE [--decode]
// [--no-special] [--skip-special]`.
func newTokenizeCmd() *cobra.Command {
	var o tokenizer.TokenizeCLIOptions
	c := &cobra.Command{
		Use:   "tokenize --tokenizer FILE [flags]",
		Short: "encode JSON lines {text} to {ids} with a Hugging Face tokenizer.json (--decode: back)",
		Long: `Read JSON lines from standard input and write one line per input line:
{"text": ...} becomes {"ids": [...]}, the ids the reference tokenizers
library's default encode gives (special tokens added as the file's
post-processor says; --no-special leaves them out). With --decode,
{"ids": [...]} becomes {"text": ...} (--skip-special drops special tokens).
A bad line is answered by {"error": "line N: ..."} and the command exits 1
after the last line.`,
		Example: `  echo '{"text": "Hello world"}' | autodidact tokenize --tokenizer tokenizer.json
  echo '{"ids": [9707, 1879]}' | autodidact tokenize --tokenizer tokenizer.json --decode`,
		Args: rangeArgs(0, 0, "takes no arguments (input on standard input)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return tokenizer.RunTokenizeCLIWith(cmd.InOrStdin(), cmd.OutOrStdout(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.File, "tokenizer", "", "tokenizer.json file (required)")
	f.BoolVar(&o.Decode, "decode", false, "decode {ids} lines to {text}")
	f.BoolVar(&o.NoSpecial, "no-special", false, "encode without the post-processor's special tokens")
	f.BoolVar(&o.SkipSpecial, "skip-special", false, "decode without special tokens")
	c.MarkFlagRequired("tokenizer")
	c.MarkFlagFilename("tokenizer", "json")
	return c
}
