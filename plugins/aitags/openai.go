package aitags

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// openAIOutputTokens bounds the answer of an OpenAI-compatible model
// (max_completion_tokens). It counts reasoning tokens too, so it is
// larger than maxOutputTokens.
const openAIOutputTokens = 4096

// openAIChat drafts tags with the Chat Completions API
// (POST {base_url}/chat/completions) of OpenAI or of a server compatible
// with it (vLLM, Ollama, Azure OpenAI's v1 API, OpenRouter...), with a
// function tool that tool_choice forces: function calling is what these
// servers support most widely for structured answers.
type openAIChat struct {
	completions openai.ChatCompletionService
	model       string
	prompt      string
	// effort is reasoning_effort; "" leaves it out of the request.
	effort string
	apiKey string // only to scrub it from messages
}

// newOpenAIChat builds the client. It is built from the Chat Completions
// service alone, not from openai.NewClient, because NewClient reads
// OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID and the like from the
// process environment: the key and base URL come from the plugin's
// configuration only. The client retries 408, 409, 429 and 5xx
// cfg.maxRetries times (backoff, retry-after honoured).
func newOpenAIChat(apiKey string, cfg *config, hc *http.Client) *openAIChat {
	opts := []option.RequestOption{
		option.WithEnvironmentProduction(),
		option.WithHTTPClient(hc),
		option.WithAPIKey(apiKey),
		option.WithMaxRetries(cfg.maxRetries),
		option.WithRequestTimeout(RequestTimeout),
	}
	if cfg.baseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.baseURL))
	}
	return &openAIChat{
		completions: openai.NewChatCompletionService(opts...),
		model:       cfg.model, prompt: cfg.prompt, effort: cfg.reasoningEffort, apiKey: apiKey,
	}
}

// Draft sends the passage and the vocabulary, forcing a call of the
// propose_tags function, and returns the call's arguments.
func (c *openAIChat) Draft(ctx context.Context, r draftRequest) (*draftResult, error) {
	params := openai.ChatCompletionNewParams{
		Model: c.model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage(c.prompt),
			openai.UserMessage(userPrompt(r)),
		},
		MaxCompletionTokens: openai.Int(openAIOutputTokens),
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name:        ToolName,
			Description: openai.String(toolDescription),
			Parameters:  shared.FunctionParameters(tagsSchema(r.Vocabulary, r.MaxTags)),
		})},
		ToolChoice: openai.ToolChoiceOptionFunctionToolChoice(openai.ChatCompletionNamedToolChoiceFunctionParam{Name: ToolName}),
	}
	if c.effort != "" {
		params.ReasoningEffort = shared.ReasoningEffort(c.effort)
	}
	res, err := c.completions.New(ctx, params)
	if err != nil {
		return nil, c.classify(err)
	}
	if len(res.Choices) == 0 {
		return nil, &draftError{msg: "the API answered a chat completion without choices"}
	}
	choice := res.Choices[0]
	for _, call := range choice.Message.ToolCalls {
		if (call.Type != "" && call.Type != "function") || call.Function.Name != ToolName {
			continue
		}
		var input tagsInput
		if err := json.Unmarshal([]byte(call.Function.Arguments), &input); err != nil || input.Tags == nil {
			return nil, &draftError{msg: c.scrub(fmt.Sprintf("the model called %s without a tags list (%s)", ToolName, truncate(call.Function.Arguments, 120)))}
		}
		return &draftResult{Model: res.Model, Tags: *input.Tags}, nil
	}
	switch {
	case choice.Message.Refusal != "":
		return nil, &draftError{msg: c.scrub("the model declined to tag this passage: " + truncate(choice.Message.Refusal, 200))}
	case choice.FinishReason == "length":
		return nil, &draftError{msg: "the model's answer was cut off (finish_reason length) before it called " + ToolName}
	case choice.FinishReason == "content_filter":
		return nil, &draftError{msg: "the API's content filter stopped the answer (finish_reason content_filter)"}
	}
	return nil, &draftError{msg: fmt.Sprintf("the model did not call %s (finish_reason %q)", ToolName, choice.FinishReason)}
}

// classify turns a client error into a draftError: API errors 408, 409,
// 429 and 5xx, timeouts and connection errors may pass (the job is
// retried); other API errors (400, 401, 403, 404, 413...) will not.
func (c *openAIChat) classify(err error) error {
	var api *openai.Error
	switch {
	case errors.As(err, &api):
		s := api.StatusCode
		var detail []string
		for _, d := range []string{api.Type, api.Code} {
			if d != "" && !strings.Contains(strings.Join(detail, " "), d) {
				detail = append(detail, d)
			}
		}
		msg := fmt.Sprintf("OpenAI-compatible API answered %d", s)
		if len(detail) > 0 {
			msg += " " + strings.Join(detail, "/")
		}
		if m := strings.TrimSpace(api.Message); m != "" {
			msg += ": " + truncate(m, 300)
		}
		switch s {
		case http.StatusUnauthorized:
			msg += "; check the " + SecretOpenAIAPIKey + " secret (INKLING_PLUGIN_AITAGS_OPENAI_API_KEY)"
		case http.StatusForbidden:
			msg += "; the API key may not use this model"
		case http.StatusNotFound:
			msg += fmt.Sprintf("; check the model setting (%q) and base_url", c.model)
		}
		return &draftError{msg: c.scrub(msg), retryable: retryableStatus(s), cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &draftError{msg: "the OpenAI-compatible API did not answer in time", retryable: true, cause: err}
	case errors.Is(err, context.Canceled):
		return &draftError{msg: "the request to the OpenAI-compatible API was cancelled", retryable: true, cause: err}
	}
	return &draftError{msg: c.scrub("could not reach the OpenAI-compatible API: " + err.Error()), retryable: true, cause: err}
}

// scrub removes the API key from a message, should anything echo it.
func (c *openAIChat) scrub(s string) string { return scrub(s, c.apiKey) }
