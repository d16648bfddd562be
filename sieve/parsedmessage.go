package sieve

import (
	"io"

	"github.com/sluice-mail/sluice/sieve/internal/message"
)

// parsedMessage adapts the internal message parser to Message.
type parsedMessage struct {
	m *message.Message
}

var (
	_ Message    = (*parsedMessage)(nil)
	_ BodySource = (*parsedMessage)(nil)
)

func parseMessage(r io.Reader) (*parsedMessage, error) {
	m, err := message.Parse(r, message.Limits{})
	if err != nil {
		return nil, err
	}
	return &parsedMessage{m: m}, nil
}

func (p *parsedMessage) Header(name string) []string {
	fs := p.m.Header(name)
	if len(fs) == 0 {
		return nil
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Value
	}
	return out
}

func (p *parsedMessage) Size() int64 { return p.m.Size() }

func (p *parsedMessage) Body() (io.Reader, error) { return p.m.Body(), nil }

// Parsed exposes the parsed form to extensions that need the MIME tree.
func (p *parsedMessage) Parsed() *message.Message { return p.m }

// decodeHeader decodes RFC 2047 encoded words and non-UTF-8 octets.
func decodeHeader(v string) string { return message.DecodeHeaderValue(v) }
