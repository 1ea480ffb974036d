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
			Description: anthropic.String(toolDescription),
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
		var input tagsInput
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
		retryable := retryableStatus(s)
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
func (c *claude) scrub(s string) string { return scrub(s, c.apiKey) }

// toolSchema is propose_tags' input schema as the Anthropic client takes it.
func toolSchema(vocab []string, maxTags int) anthropic.ToolInputSchemaParam {
	return anthropic.ToolInputSchemaParam{Properties: tagsProperties(vocab, maxTags), Required: tagsRequired}
}
