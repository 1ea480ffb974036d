package sdktest

import (
	"net/url"
	"strings"

	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// route matches path against the declared endpoints of method and returns
// the template and the path parameters. Literal segments win over
// parameters, segment by segment from the left, as in the host's router.
func route(eps []*pluginv1.EndpointSpec, method, path string) (string, map[string]string, bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	best, bestScore := "", ""
	var bestParams map[string]string
	for _, ep := range eps {
		if !strings.EqualFold(ep.GetMethod(), method) {
			continue
		}
		tsegs := strings.Split(strings.TrimPrefix(ep.GetPath(), "/"), "/")
		if len(tsegs) != len(segs) {
			continue
		}
		params := map[string]string{}
		var score strings.Builder
		ok := true
		for i, ts := range tsegs {
			if strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "}") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				params[ts[1:len(ts)-1]] = v
				score.WriteByte('0')
				continue
			}
			if ts != segs[i] {
				ok = false
				break
			}
			score.WriteByte('1')
		}
		if ok && (best == "" || score.String() > bestScore) {
			best, bestScore, bestParams = ep.GetPath(), score.String(), params
		}
	}
	return best, bestParams, best != ""
}
