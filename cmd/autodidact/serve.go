package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/serve"
)

// newServeCmd is `autodidact serve --model DIR [--addr 127.0.0.1:8000]`.
func newServeCmd() *cobra.Command {
	var o serve.Options
	c := &cobra.Command{
		Use:   "serve --model DIR [flags]",
		Short: "an OpenAI-compatible HTTP server over a model directory (/v1/completions, /v1/chat/completions)",
		Long: `Serve a Hugging Face model directory (or an exported autodidact model)
over OpenAI's HTTP API: POST /v1/completions (text or token-id prompts),
POST /v1/chat/completions (the directory's chat template), GET /v1/models;
streaming with "stream": true; every choice carries its token_ids and,
with "logprobs", the sampled tokens' log-probs. Requests are batched
together on the engine (continuous batching). It listens on loopback
unless --addr says otherwise; --api-key requires a bearer token. Ctrl-C
(SIGINT) or SIGTERM shuts it down gracefully.`,
		Example: `  autodidact serve --model ./Qwen2.5-0.5B-Instruct
  curl -s 127.0.0.1:8000/v1/completions -d '{"prompt": "2+2=", "max_tokens": 4, "temperature": 0}'`,
		Args: rangeArgs(0, 0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve.Run(ctx, o, cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&o.ModelDir, "model", "", "model directory (required)")
	f.StringVar(&o.Addr, "addr", serve.DefaultAddr, "listen address")
	f.StringVar(&o.ModelName, "name", "", "model id in /v1/models and responses (default: the directory's name)")
	f.IntVar(&o.Slots, "slots", serve.DefaultSlots, "sequences decoded together per engine")
	f.IntVar(&o.ContextLen, "context", 0, "longest prompt plus completion (default min(max_position_embeddings, 4096))")
	f.IntVar(&o.MaxTokens, "max-tokens", 0, "cap on a request's max_tokens (default min(4096, context))")
	f.StringVar(&o.APIKey, "api-key", "", "require Authorization: Bearer KEY")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the shared sampling streams")
	c.MarkFlagRequired("model")
	c.MarkFlagDirname("model")
	return c
}
