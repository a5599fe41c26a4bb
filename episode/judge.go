package episode

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/openai"
	"github.com/autodidact-rl/autodidact/task"
)

// Item is one response to judge.
type Item struct {
	Problem  task.Problem
	Response string
}

// Judge turns responses into rewards, with a record of why.
type Judge interface {
	Name() string
	Judge(items []Item) ([]Verdict, error)
}

// Verifier is the task's grader as a judge (today's grading).
type Verifier struct{ Task task.Task }

// Name is "verifier".
func (Verifier) Name() string { return "verifier" }

// Judge grades each response with the task's verifier.
func (v Verifier) Judge(items []Item) ([]Verdict, error) {
	out := make([]Verdict, len(items))
	for i, it := range items {
		rw := v.Task.Grade(it.Problem, it.Response)
		reason := "incorrect"
		switch {
		case rw.Correct:
			reason = "correct"
		case !rw.FormatOK:
			reason = "no answer line"
		}
		out[i] = Verdict{Judge: "verifier", Reward: rw.Reward, Correct: rw.Correct, Parsed: true, Reason: reason}
	}
	return out, nil
}

// ModelJudge asks a model for a verdict in a fixed format and parses it
// strictly: the judge's whole output (up to EOS) must be the verdict and
// nothing else. An output that does not parse gets Fallback as its reward
// and counts as a parse failure; it is never a crash, and nothing the
// judged response contains can be taken for the judge's verdict (the
// response is in the judge's prompt, never in what is parsed).
//
// Format "score": an integer in [0, MaxScore], reward score/MaxScore.
// Format "verdict": "yes" (reward 1) or "no" (reward 0).
// With Samples k > 1 the k judgments are combined by Combine: "mean" of
// the parsed rewards, or "vote": the majority verdict (reward >= 0.5 counts
// as yes; ties are no). Unparsed samples do not vote; all unparsed gives
// Fallback.
type ModelJudge struct {
	Model *lm.Model
	// Endpoint, when set, plays the judge instead of Model: an
	// OpenAI-compatible server (autodidact serve, vLLM, ...) asked for
	// completions of the judge's prompt text (chat completions with Chat).
	Endpoint    openai.Completer
	Chat        bool
	Codec       Codec
	BOS, EOS    int32
	Template    string // "{question}" and "{response}" are replaced
	Format      string // "score" or "verdict"
	MaxScore    int
	Samples     int
	Combine     string // "mean" or "vote"
	Temperature float32
	MaxNew      int
	Fallback    float64
	RNG         *rand.Rand

	// Failures counts unparsable judge outputs since the judge was made.
	Failures int
}

// Name is "model".
func (*ModelJudge) Name() string { return "model" }

// Validate reports the first setting that cannot work.
func (j *ModelJudge) Validate() error {
	switch {
	case !strings.Contains(j.Template, "{response}"):
		return fmt.Errorf("judge template must contain {response}")
	case j.Format != "score" && j.Format != "verdict":
		return fmt.Errorf("judge format %q: want score or verdict", j.Format)
	case j.Format == "score" && j.MaxScore < 1:
		return fmt.Errorf("judge max_score %d must be >= 1", j.MaxScore)
	case j.Samples < 1:
		return fmt.Errorf("judge samples %d must be >= 1", j.Samples)
	case j.Combine != "mean" && j.Combine != "vote":
		return fmt.Errorf("judge combine %q: want mean or vote", j.Combine)
	case j.MaxNew < 1:
		return fmt.Errorf("judge max_new_tokens %d must be >= 1", j.MaxNew)
	}
	return nil
}

// Parse reads one judge output strictly; ok is false when it does not
// follow the format.
func (j *ModelJudge) Parse(out string) (reward float64, ok bool) {
	s := strings.TrimSpace(out)
	switch j.Format {
	case "verdict":
		switch s {
		case "yes":
			return 1, true
		case "no":
			return 0, true
		}
	case "score":
		if s == "" || len(s) > 6 || strings.TrimLeft(s, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > j.MaxScore {
			return 0, false
		}
		return float64(n) / float64(j.MaxScore), true
	}
	return 0, false
}

// Judge samples Samples judgments of each item in one batch and combines them.
func (j *ModelJudge) Judge(items []Item) ([]Verdict, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	var outs []judgeOutput
	var err error
	if j.Endpoint != nil {
		outs, err = j.askEndpoint(items)
	} else {
		outs, err = j.askModel(items)
	}
	if err != nil {
		return nil, err
	}
	return j.combine(items, outs), nil
}

// judgeOutput is one sampled judgment: its text, and whether it ended (an
// output cut at max_new_tokens is not a verdict).
type judgeOutput struct {
	text  string
	ended bool
}

// prompt is the judge's prompt text for one item.
func (j *ModelJudge) prompt(it Item) string {
	return strings.ReplaceAll(strings.ReplaceAll(j.Template, "{question}", it.Problem.Question), "{response}", it.Response)
}

// askModel samples the judgments from the local model, Samples per item
// in one batch.
func (j *ModelJudge) askModel(items []Item) ([]judgeOutput, error) {
	var prompts [][]int32
	maxLen := j.Model.Cfg.MaxPositionEmbeddings
	for _, it := range items {
		ids, err := j.Codec.Encode(j.prompt(it))
		if err != nil {
			return nil, fmt.Errorf("judge prompt: %w", err)
		}
		ids = append([]int32{j.BOS}, ids...)
		if over := len(ids) + j.MaxNew - maxLen; over > 0 {
			// Keep the end, where the response and the verdict cue are.
			ids = append([]int32{j.BOS}, ids[1+over:]...)
		}
		for range j.Samples {
			prompts = append(prompts, ids)
		}
	}
	g, err := j.Model.Generate(prompts, lm.SampleOptions{Temperature: j.Temperature, MaxNew: j.MaxNew, Stop: []int32{j.EOS}}, j.RNG)
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	outs := make([]judgeOutput, len(prompts))
	for k, toks := range g.Tokens {
		if len(toks) > 0 && toks[len(toks)-1] == j.EOS {
			outs[k] = judgeOutput{text: j.Codec.Decode(toks[:len(toks)-1]), ended: true}
		}
	}
	return outs, nil
}

// askEndpoint asks the OpenAI-compatible endpoint for Samples judgments
// of each item (one completion request per item, n = Samples; a chat
// request with the prompt as the user's message when Chat is set). A
// choice that ended for any reason but "stop" (the server's EOS or a stop
// string) was cut and is not a verdict.
func (j *ModelJudge) askEndpoint(items []Item) ([]judgeOutput, error) {
	outs := make([]judgeOutput, len(items)*j.Samples) // missing choices count as cut
	errs := make([]error, len(items))
	// The requests are independent: keep up to EndpointConcurrency in
	// flight, so the server can batch them (autodidact serve and vLLM do).
	sem := make(chan struct{}, max(1, EndpointConcurrency))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx := context.Background()
			var resp openai.Response
			var err error
			if j.Chat {
				resp, err = j.Endpoint.Chat(ctx, openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: j.prompt(it)}},
					MaxTokens: j.MaxNew, Temperature: float64(j.Temperature), N: j.Samples})
			} else {
				resp, err = j.Endpoint.Complete(ctx, openai.Request{Prompt: j.prompt(it), MaxTokens: j.MaxNew,
					Temperature: float64(j.Temperature), N: j.Samples})
			}
			if err != nil {
				errs[i] = fmt.Errorf("judge endpoint: %w", err)
				return
			}
			for _, c := range resp.Choices {
				if c.Index >= 0 && c.Index < j.Samples {
					outs[i*j.Samples+c.Index] = judgeOutput{text: c.Text, ended: c.FinishReason == "stop"}
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return outs, nil
}

// EndpointConcurrency bounds the requests a model judge keeps in flight to
// its endpoint.
var EndpointConcurrency = 16

// combine parses each item's Samples outputs and combines them.
func (j *ModelJudge) combine(items []Item, outs []judgeOutput) []Verdict {
	out := make([]Verdict, len(items))
	for i := range items {
		var sum, yes float64
		n := 0
		var raw []string
		for s := range j.Samples {
			o := outs[i*j.Samples+s]
			if !o.ended {
				raw = append(raw, "(no end)")
				j.Failures++
				continue // a verdict must end: a cut-off output is not one
			}
			text := o.text
			raw = append(raw, strconv.Quote(text))
			r, ok := j.Parse(text)
			if !ok {
				j.Failures++
				continue
			}
			sum += r
			if r >= 0.5 {
				yes++
			}
			n++
		}
		v := Verdict{Judge: "model", Reward: j.Fallback, Reason: strings.Join(raw, " ")}
		if n > 0 {
			v.Parsed = true
			if j.Combine == "mean" {
				v.Reward = sum / float64(n)
			} else {
				v.Reward = 0
				if yes > float64(n)-yes {
					v.Reward = 1
				}
			}
			v.Correct = v.Reward >= 0.5
		}
		out[i] = v
	}
	return out
}
