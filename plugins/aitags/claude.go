package aitags

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// ToolName is the tool the model must call with its tags.
const ToolName = "propose_tags"

// maxOutputTokens bounds the model's answer (a few tags).
const maxOutputTokens = 1024

// maxTextLength bounds the passage text sent to the model.
const maxTextLength = 60000

// drafter asks a model for tags.
type drafter interface {
	Draft(ctx context.Context, r draftRequest) (*draftResult, error)
}

// draftRequest is what the model is asked about.
type draftRequest struct {
	Text       string
	Vocabulary []string
	MaxTags    int
}

// draftResult is the model's answer.
type draftResult struct {
	// Model is the model that answered.
	Model string
	// Tags are the proposals as the model made them.
	Tags []rawProposal
}

// draftError is a failed draft, with a short message fit for
// tag_review.error (no secrets) and whether trying again may help.
type draftError struct {
	msg       string
	retryable bool
	cause     error
}

func (e *draftError) Error() string { return e.msg }
func (e *draftError) Unwrap() error { return e.cause }

// claude drafts tags with Anthropic's Messages API.
type claude struct {
	client anthropic.Client
	model  string
	prompt string
	apiKey string // only to scrub it from messages
}

// newClaude builds the client: the API key and base URL come from the
// plugin's configuration only (never from the process environment), with
// the client's own retries (cfg.maxRetries; backoff, retry-after honoured)
// on 408, 409, 429 and 5xx.
func newClaude(apiKey string, cfg *config, hc *http.Client) *claude {
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(apiKey),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(cfg.maxRetries),
		option.WithRequestTimeout(RequestTimeout),
	}
	if cfg.baseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.baseURL))
	}
	return &claude{client: anthropic.NewClient(opts...), model: cfg.model, prompt: cfg.prompt, apiKey: apiKey}
}

// Draft sends the passage and the vocabulary, forcing a call of the
// propose_tags tool, and returns the tool's input.
func (c *claude) Draft(ctx context.Context, r draftRequest) (*draftResult, error) {
	msg, err := c.client.Messages.New(ctx, anthropic.MessageNewParams{
		Model:     c.model,
		MaxTokens: maxOutputTokens,
		System:    []anthropic.TextBlockParam{{Text: c.prompt}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(userPrompt(r)))},
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
			Name:        ToolName,
			Description: anthropic.String("Record the tags proposed for the passage, each with the confidence that an editor accepts it."),
			InputSchema: toolSchema(r.Vocabulary, r.MaxTags),
		}}},
		ToolChoice: anthropic.ToolChoiceUnionParam{OfTool: &anthropic.ToolChoiceToolParam{
			Name: ToolName, DisableParallelToolUse: anthropic.Bool(true),
		}},
	})
	if err != nil {
		return nil, c.classify(err)
	}
	for _, block := range msg.Content {
		if block.Type != "tool_use" || block.Name != ToolName {
			continue
		}
		var input struct {
			Tags *[]rawProposal `json:"tags"`
		}
		if err := json.Unmarshal(block.Input, &input); err != nil || input.Tags == nil {
			return nil, &draftError{msg: fmt.Sprintf("the model called %s without a tags list (%s)", ToolName, truncate(string(block.Input), 120))}
		}
		return &draftResult{Model: msg.Model, Tags: *input.Tags}, nil
	}
	switch msg.StopReason {
	case anthropic.StopReasonMaxTokens:
		return nil, &draftError{msg: "the model's answer was cut off (max_tokens) before it called " + ToolName}
	case anthropic.StopReasonRefusal:
		return nil, &draftError{msg: "the model declined to tag this passage (stop_reason refusal)"}
	}
	return nil, &draftError{msg: fmt.Sprintf("the model did not call %s (stop_reason %q)", ToolName, msg.StopReason)}
}

// classify turns a client error into a draftError: API errors 408, 409,
// 429 and 5xx, timeouts and connection errors may pass (the job is
// retried); other API errors (400, 401, 403, 404, 413...) will not.
func (c *claude) classify(err error) error {
	var api *anthropic.Error
	switch {
	case errors.As(err, &api):
		s := api.StatusCode
		retryable := s == http.StatusRequestTimeout || s == http.StatusConflict || s == http.StatusTooManyRequests || s >= 500
		detail := strings.TrimSpace(string(api.Type()) + ": " + api.Message)
		msg := fmt.Sprintf("Anthropic API answered %d %s", s, strings.Trim(detail, ": "))
		switch s {
		case http.StatusUnauthorized:
			msg += "; check the api_key secret (INKLING_PLUGIN_AITAGS_API_KEY)"
		case http.StatusForbidden:
			msg += "; the API key may not use this model"
		case http.StatusNotFound:
			msg += fmt.Sprintf("; check the model setting (%q) and base_url", c.model)
		}
		return &draftError{msg: c.scrub(msg), retryable: retryable, cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &draftError{msg: "the Anthropic API did not answer in time", retryable: true, cause: err}
	case errors.Is(err, context.Canceled):
		return &draftError{msg: "the request to the Anthropic API was cancelled", retryable: true, cause: err}
	}
	return &draftError{msg: c.scrub("could not reach the Anthropic API: " + err.Error()), retryable: true, cause: err}
}

// scrub removes the API key from a message, should anything echo it.
func (c *claude) scrub(s string) string {
	if c.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, "[api key]")
}

// userPrompt is the user message: the task, the vocabulary and the
// passage, in XML-style elements as Anthropic's prompting guide suggests.
func userPrompt(r draftRequest) string {
	text := r.Text
	if len(text) > maxTextLength {
		text = truncate(text, maxTextLength)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Propose at most %d tags for the passage, choosing only from the vocabulary (one term a line).\n\n", r.MaxTags)
	b.WriteString("<vocabulary>\n")
	for _, v := range r.Vocabulary {
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString("</vocabulary>\n\n<passage>\n")
	b.WriteString(text)
	b.WriteString("\n</passage>")
	return b.String()
}

// toolSchema is the input schema of propose_tags:
// {tags: [{tag (one of the vocabulary), confidence 0..1}]}.
func toolSchema(vocab []string, maxTags int) anthropic.ToolInputSchemaParam {
	tag := map[string]any{"type": "string", "description": "A term of the vocabulary, spelt as listed."}
	if len(vocab) > 0 {
		tag["enum"] = vocab
	}
	return anthropic.ToolInputSchemaParam{
		Properties: map[string]any{
			"tags": map[string]any{
				"type":     "array",
				"maxItems": maxTags,
				"items": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"tag": tag,
						"confidence": map[string]any{"type": "number", "minimum": 0, "maximum": 1,
							"description": "Probability, from 0 to 1, that an editor accepts the tag."},
					},
					"required":             []string{"tag", "confidence"},
					"additionalProperties": false,
				},
			},
		},
		Required: []string{"tags"},
	}
}
