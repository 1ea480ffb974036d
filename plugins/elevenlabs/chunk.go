package elevenlabs

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// chunkText splits text into chunks of at most maxChars characters (runes,
// as the API counts them), as ElevenLabs advises for long texts: whole
// paragraphs (separated by blank lines) are packed together while they
// fit; a paragraph that does not fit alone is split between sentences; a
// sentence that does not fit alone is split between words, and a word
// longer than maxChars between characters. Joining the chunks with "\n\n"
// or " " gives the text back up to white space.
func chunkText(text string, maxChars int) []string {
	if maxChars < 1 {
		maxChars = 1
	}
	var p packer
	p.max = maxChars
	for para := range strings.SplitSeq(text, "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		if runes(para) <= maxChars {
			p.add(para, "\n\n")
			continue
		}
		for _, s := range sentences(para) {
			if runes(s) <= maxChars {
				p.add(s, " ")
				continue
			}
			for _, w := range strings.Fields(s) {
				for _, piece := range splitRunes(w, maxChars) {
					p.add(piece, " ")
				}
			}
		}
	}
	return p.done()
}

// packer accumulates pieces into chunks of at most max runes.
type packer struct {
	max    int
	cur    strings.Builder
	n      int // runes in cur
	chunks []string
}

// add appends piece, after sep when the chunk is not empty, or starts a
// new chunk when it does not fit.
func (p *packer) add(piece, sep string) {
	n := runes(piece)
	if p.n > 0 && p.n+runes(sep)+n > p.max {
		p.flush()
	}
	if p.n > 0 {
		p.cur.WriteString(sep)
		p.n += runes(sep)
	}
	p.cur.WriteString(piece)
	p.n += n
}

func (p *packer) flush() {
	if p.n > 0 {
		p.chunks = append(p.chunks, p.cur.String())
	}
	p.cur.Reset()
	p.n = 0
}

func (p *packer) done() []string {
	p.flush()
	return p.chunks
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// sentences splits a paragraph after sentence-ending punctuation (. ! ?
// … and the like, with any closing quotes or brackets) that is followed
// by white space. Line breaks inside the paragraph end a sentence too.
func sentences(para string) []string {
	var out []string
	rs := []rune(para)
	start := 0
	for i := 0; i < len(rs); i++ {
		end := -1
		switch {
		case rs[i] == '\n':
			end = i
		case isTerminal(rs[i]):
			j := i + 1
			for j < len(rs) && isCloser(rs[j]) {
				j++
			}
			if j == len(rs) || unicode.IsSpace(rs[j]) {
				end = j
			}
		}
		if end < 0 {
			continue
		}
		if s := strings.TrimSpace(string(rs[start:end])); s != "" {
			out = append(out, s)
		}
		start, i = end, end
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

func isTerminal(r rune) bool {
	switch r {
	case '.', '!', '?', '…', ';', '。', '！', '？':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '’', '”', '»', ')', ']', '}', '.', '!', '?':
		return true
	}
	return false
}

// splitRunes cuts s into pieces of at most n runes.
func splitRunes(s string, n int) []string {
	rs := []rune(s)
	var out []string
	for len(rs) > n {
		out = append(out, string(rs[:n]))
		rs = rs[n:]
	}
	return append(out, string(rs))
}

// contextHead returns the start of s, at most n runes, cut at a word
// boundary when possible: the next_text of a stitched request.
func contextHead(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	cut := n
	for i := n; i > n/2; i-- {
		if unicode.IsSpace(rs[i]) {
			cut = i
			break
		}
	}
	return strings.TrimSpace(string(rs[:cut]))
}

// contextTail returns the end of s, at most n runes, cut at a word
// boundary when possible: the previous_text of a stitched request.
func contextTail(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	cut := len(rs) - n
	for i := cut; i < len(rs)-n/2; i++ {
		if unicode.IsSpace(rs[i]) {
			cut = i
			break
		}
	}
	return strings.TrimSpace(string(rs[cut:]))
}
