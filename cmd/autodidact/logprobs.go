package main

import (
	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/hf"
)

// newLogprobsCmd is `autodidact logprobs --model DIR`.
func newLogprobsCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "logprobs --model DIR",
		Short: "score JSON lines {ids} or {text} with a Hugging Face model directory: {logprobs}",
		Long: `Read JSON lines from standard input, {"ids": [...]} or {"text": ...}
(encoded with the directory's tokenizer.json, special tokens included), and
write one line per input line: {"logprobs": [...]} where entry t is
log p(ids[t+1] | ids[0..t]) (len(ids)-1 entries), with "ids" for text
input. DIR is a Hugging Face model directory (config.json and
model.safetensors or sharded files; Llama, Qwen2, Qwen3; F32, F16, BF16)
or an exported autodidact model.`,
		Example: `  echo '{"ids": [1, 2, 3]}' | autodidact logprobs --model ./Qwen2.5-0.5B`,
		Args:    rangeArgs(0, 0, "takes no arguments (input on standard input)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return hf.RunLogprobsCLI(cmd.InOrStdin(), cmd.OutOrStdout(), dir)
		},
	}
	c.Flags().StringVar(&dir, "model", "", "Hugging Face model directory (required)")
	c.MarkFlagRequired("model")
	c.MarkFlagDirname("model")
	return c
}
