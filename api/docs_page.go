package api

import (
	"embed"
	"html/template"

	"github.com/gofiber/fiber/v3"
)

// assets holds Redoc's standalone bundle (MIT, vendored from the npm
// package redoc@2.5.1 by `make vendor-redoc`), so the reference pages work
// with no internet access.
//
//go:embed assets/redoc.standalone.js
var assets embed.FS

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
</head>
<body>
<redoc spec-url="{{.Spec}}" hide-download-button="false" path-in-middle-panel="true"></redoc>
<script src="/api/v1/docs/redoc.standalone.js"></script>
</body>
</html>
`))

// docsCSP allows only this server's script and styles, plus the blob
// worker Redoc uses for search.
const docsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"

func (s *Server) docsHandler(title, spec string) fiber.Handler {
	return func(c fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set(fiber.HeaderContentSecurityPolicy, docsCSP)
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return docsPage.Execute(c.Response().BodyWriter(), map[string]string{"Title": title, "Spec": spec})
	}
}

func (s *Server) redocScript(c fiber.Ctx) error {
	b, err := assets.ReadFile("assets/redoc.standalone.js")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(b)
}
