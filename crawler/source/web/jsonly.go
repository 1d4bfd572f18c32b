package web

import (
	"strings"

	"golang.org/x/net/html"
)

// jsVendor is a third-party comment system that injects comments with
// JavaScript (or an iframe), so that they are never in the article's HTML.
type jsVendor struct {
	name string
	// ids, classes and tags are hallmark elements (exact id, one class
	// among the element's classes, element name).
	ids, classes, tags []string
	// attrs are hallmark attribute names (data-spotim-module).
	attrs []string
	// scripts are substrings of a script's src or inline code.
	scripts []string
}

// jsVendors lists the common systems. An element hallmark is enough; a
// script hallmark alone counts only for systems whose loader is never on a
// page for another purpose (the Facebook SDK, for instance, also serves Like
// buttons, so it needs the fb-comments element).
var jsVendors = []jsVendor{
	{name: "Disqus", ids: []string{"disqus_thread"}, scripts: []string{".disqus.com/embed.js", "disqus.com/embed", "disqus_shortname", "disqus_config"}},
	{name: "Coral", ids: []string{"coral_thread", "coral-talk", "coral_talk_stream"}, classes: []string{"coral-comments"}, tags: []string{"coral-comments"}, scripts: []string{"Coral.createStreamEmbed", "coral.coralproject.net", "/assets/js/embed.js?coral"}},
	{name: "OpenWeb", classes: []string{"spot-im-frame-inpage", "openweb-conversation"}, attrs: []string{"data-spotim-module", "data-spot-id", "data-openweb-module"}, tags: []string{"ow-conversation"}, scripts: []string{"launcher.spot.im", "launcher.openweb.com", "cdn.openweb.com"}},
	{name: "Viafoura", classes: []string{"viafoura", "vf-conversations"}, tags: []string{"vf-conversations", "vf-comments"}, attrs: []string{"data-vf-container"}, scripts: []string{"cdn.viafoura.net", "viafoura.co"}},
	{name: "Facebook comments plugin", classes: []string{"fb-comments"}, tags: []string{"fb:comments"}},
	{name: "Hyvor Talk", ids: []string{"hyvor-talk-view"}, tags: []string{"hyvor-talk-comments"}, scripts: []string{"talk.hyvor.com"}},
	{name: "Commento", ids: []string{"commento"}, scripts: []string{"cdn.commento.io"}},
	{name: "giscus", classes: []string{"giscus"}, scripts: []string{"giscus.app/client.js"}},
	{name: "utterances", classes: []string{"utterances"}, scripts: []string{"utteranc.es/client.js"}},
	{name: "Remark42", ids: []string{"remark42"}, scripts: []string{"remark42"}},
}

// jsOnlyVendor returns the name of the JavaScript comment system whose
// hallmarks the document has, or "".
func jsOnlyVendor(doc *html.Node) string {
	found := ""
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			if ch.Type != html.ElementNode {
				continue
			}
			if v := vendorOf(ch); v != "" {
				found = v
				return true
			}
			if walk(ch) {
				return true
			}
		}
		return false
	}
	walk(doc)
	return found
}

func vendorOf(n *html.Node) string {
	id, _ := attr(n, "id")
	cls, _ := attr(n, "class")
	classes := strings.Fields(cls)
	var script string
	if n.Data == "script" {
		src, _ := attr(n, "src")
		script = src
		for t := n.FirstChild; t != nil; t = t.NextSibling {
			if t.Type == html.TextNode {
				script += "\n" + t.Data
			}
		}
	}
	for _, v := range jsVendors {
		for _, x := range v.ids {
			if id == x {
				return v.name
			}
		}
		for _, x := range v.tags {
			if n.Data == x {
				return v.name
			}
		}
		for _, x := range v.classes {
			for _, c := range classes {
				if c == x {
					return v.name
				}
			}
		}
		for _, x := range v.attrs {
			if _, ok := attr(n, x); ok {
				return v.name
			}
		}
		if script != "" {
			for _, x := range v.scripts {
				if strings.Contains(script, x) {
					return v.name
				}
			}
		}
	}
	return ""
}
