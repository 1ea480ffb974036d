package api

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/delivery"
)

func (s *Server) bindDelivery(r fiber.Router) {
	r.Get("/openapi.json", s.openAPI)
	r.Get("/docs", s.docsHandler("Inkling delivery API", "/api/v1/openapi.json"))
	r.Get("/docs/redoc.standalone.js", s.redocScript)
	r.Get("/changes", s.deliveryChanges)
	r.Get("/content/:type", s.deliveryList)
	r.Get("/content/:type/:idOrSlug", s.deliveryGet)
	if s.Media != nil {
		r.Get("/media/:key/rendition", s.mediaRendition)
	}
	// Endpoints declared by plugins (matched at request time: plugins come
	// and go while the server runs).
	r.Get("/*", s.pluginEndpoint)
}

func rawQuery(c fiber.Ctx) (url.Values, error) {
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, "malformed query string: "+err.Error())
	}
	return q, nil
}

func (s *Server) deliveryList(c fiber.Ctx) error {
	q, err := rawQuery(c)
	if err != nil {
		return err
	}
	lq, err := delivery.ParseListQuery(c.Params("type"), q)
	if err != nil {
		return err
	}
	return s.cached(c, q, func(ctx context.Context) ([]byte, []string, error) {
		page, err := s.Delivery.List(ctx, lq)
		if err != nil {
			return nil, nil, err
		}
		tags := []string{cache.TypeTag(lq.Type)}
		for _, it := range page.Items {
			tags = append(tags, cache.EntryTag(it.ID))
			for _, r := range it.Refs {
				tags = append(tags, cache.EntryTag(r))
			}
		}
		return page.JSON(), tags, nil
	})
}

func (s *Server) deliveryGet(c fiber.Ctx) error {
	q, err := rawQuery(c)
	if err != nil {
		return err
	}
	token := q.Get("preview")
	q.Del("preview")
	if h := c.Get("X-Inkling-Preview"); h != "" {
		token = h
	}
	gq, err := delivery.ParseGetQuery(c.Params("type"), c.Params("idOrSlug"), q)
	if err != nil {
		return err
	}
	if token != "" {
		return s.deliveryPreview(c, gq, token)
	}
	return s.cached(c, q, func(ctx context.Context) ([]byte, []string, error) {
		item, err := s.Delivery.Get(ctx, gq)
		if err != nil {
			return nil, nil, err
		}
		tags := []string{cache.EntryTag(item.ID)}
		if gq.IDOrSlug != item.ID {
			// Looked up by slug: another entry may take the slug later.
			tags = append(tags, cache.TypeTag(item.Type))
		}
		for _, r := range item.Refs {
			tags = append(tags, cache.EntryTag(r))
		}
		return item.JSON(), tags, nil
	})
}

// deliveryPreview serves a draft to the holder of a preview token. The
// response is private: no shared cache may keep it.
func (s *Server) deliveryPreview(c fiber.Ctx, gq delivery.GetQuery, token string) error {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderVary, "X-Inkling-Preview")
	if s.Preview == nil {
		return apperr.New(apperr.Unavailable, "previews are not configured on this server")
	}
	claims, err := s.Preview.Verify(token)
	if err != nil {
		return apperr.New(apperr.Unauthorized, "%v", err)
	}
	item, err := s.Delivery.Preview(c.Context(), gq, claims)
	if err != nil {
		return err
	}
	return c.JSON(item)
}

// deliveryChanges is the sync feed: GET /api/v1/changes[?since=cursor]
// [&types=a,b][&limit=N].
func (s *Server) deliveryChanges(c fiber.Ctx) error {
	q, err := rawQuery(c)
	if err != nil {
		return err
	}
	cq := delivery.ChangesQuery{Since: q.Get("since")}
	for k, v := range q {
		switch {
		case len(v) > 1:
			return apperr.New(apperr.Invalid, "%s: given %d times; give it once", k, len(v))
		case k == "since":
		case k == "types":
			for _, t := range strings.Split(v[0], ",") {
				if t = strings.TrimSpace(t); t != "" {
					cq.Types = append(cq.Types, t)
				}
			}
		case k == "limit":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 {
				return apperr.New(apperr.Invalid, "limit: expected an integer from 1 to 1000")
			}
			cq.Limit = n
		default:
			return apperr.New(apperr.Invalid, "unknown query parameter %q (since, types, limit)", k)
		}
	}
	page, err := s.Delivery.Changes(c.Context(), cq)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// cached serves a published response through the response cache: concurrent
// misses for one key run fill once; the stored value carries its ETag so a
// hit costs no hashing. Errors are not cached.
func (s *Server) cached(c fiber.Ctx, q url.Values, fill func(ctx context.Context) ([]byte, []string, error)) error {
	if s.Cache == nil {
		body, _, err := fill(c.Context())
		if err != nil {
			return err
		}
		return s.sendPublic(c, body, "")
	}
	key := c.Path() + "?" + q.Encode() // Encode sorts the keys: one key per query
	val, err := s.Cache.Fetch(c.Context(), key, cache.FetchOptions{}, func(ctx context.Context) ([]byte, []string, error) {
		body, tags, err := fill(ctx)
		if err != nil {
			return nil, nil, err
		}
		etag := etagOf(body)
		out := make([]byte, 0, len(etag)+1+len(body))
		out = append(append(append(out, etag...), '\n'), body...)
		return out, tags, nil
	})
	if err != nil {
		return err
	}
	i := bytes.IndexByte(val, '\n')
	if i < 0 {
		return fmt.Errorf("corrupt cache value for %s", key)
	}
	return s.sendPublic(c, val[i+1:], string(val[:i]))
}
