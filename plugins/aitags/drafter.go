package aitags

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
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

// tagsSchema is the JSON schema of propose_tags' input (Anthropic) or
// arguments (OpenAI): an object {tags: [{tag (one of the vocabulary),
// confidence 0..1}]}.
func tagsSchema(vocab []string, maxTags int) map[string]any {
	return map[string]any{
		"type":                 "object",
		"properties":           tagsProperties(vocab, maxTags),
		"required":             tagsRequired,
		"additionalProperties": false,
	}
}

// tagsRequired are the required members of propose_tags' input.
var tagsRequired = []string{"tags"}

// tagsProperties are the members of propose_tags' input.
func tagsProperties(vocab []string, maxTags int) map[string]any {
	tag := map[string]any{"type": "string", "description": "A term of the vocabulary, spelt as listed."}
	if len(vocab) > 0 {
		tag["enum"] = vocab
	}
	return map[string]any{
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
	}
}

// toolDescription describes propose_tags to the model.
const toolDescription = "Record the tags proposed for the passage, each with the confidence that an editor accepts it."

// tagsInput is the input (arguments) of a propose_tags call.
type tagsInput struct {
	Tags *[]rawProposal `json:"tags"`
}

// retryableStatus reports whether an API error status may pass on a
// later attempt: 408, 409, 429 and 5xx (the statuses the clients retry).
func retryableStatus(s int) bool {
	return s == http.StatusRequestTimeout || s == http.StatusConflict || s == http.StatusTooManyRequests || s >= 500
}

// scrub removes key from a message, should anything echo it, and the
// masked keys providers quote ("Incorrect API key provided: sk-ab***yz").
func scrub(s, key string) string {
	if key != "" {
		s = strings.ReplaceAll(s, key, "[api key]")
	}
	return maskedKey.ReplaceAllString(s, "[api key]")
}

// maskedKey matches a key as OpenAI-compatible providers quote it in a 401:
// a key-like token with a run of asterisks in it.
var maskedKey = regexp.MustCompile(`[A-Za-z0-9_\-]*\*{3,}[A-Za-z0-9_\-]*`)
