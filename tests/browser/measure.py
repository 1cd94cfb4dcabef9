"""What a person notices on a page, measured in the browser: shared by the browser journeys.

``MEASURE`` is a JavaScript function for ``page.evaluate``; it returns a list of problems (empty:
fine). Pass a CSS selector as its argument to skip the "Japanese on an English page" check inside
what it matches (a chart whose labels are not marked yet); every other check still applies there.

- the page is no wider than the screen (no sideways scrolling);
- no text is squeezed into a box narrower than four characters of its font while it needs
  more (a table column crushed to one character per line);
- every link, button and field is wholly on the screen (nothing cut off at the right edge);
- no word is broken across lines (「Withdr/aw」), and no one-word button label wraps
  (「取り下/げる」);
- on English pages, Japanese shows only where there is no English (marked ``lang="ja"``).

``PHONE`` and ``DESKTOP`` are the two screens of issue 13 (375 px and 1280 px), as options for
``new_context``; ``WIDTHS`` maps their widths to them.
"""

from __future__ import annotations

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
WIDTHS = {"375": PHONE, "1280": DESKTOP}

# What a person notices, measured in the page. Returns a list of problems (empty: fine).
MEASURE = r"""
(notJapaneseIn) => {
  const vw = document.documentElement.clientWidth;
  const problems = [];
  const english = document.documentElement.lang.startsWith('en');
  const describe = el => el.tagName.toLowerCase()
    + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
       ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  // Hidden from sight on purpose: screen-reader text, the skip link until focused.
  const offstage = el => !!el.closest(
    '.visually-hidden, .skip-link, script, style, noscript, template, option, textarea');
  const shown = el => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const lineTops = rects => new Set(rects.filter(r => r.width > 0).map(r => Math.round(r.top))).size;
  const range = document.createRange();

  const width = document.documentElement.scrollWidth;
  if (width > vw) problems.push(`the page is ${width} px wide on a ${vw} px screen`);

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const el = node.parentElement;
    const text = node.textContent.replace(/\s+/g, ' ').trim();
    if (!el || !text || offstage(el) || !shown(el)) continue;
    const fontSize = parseFloat(getComputedStyle(el).fontSize);
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    if (!rects.length) continue;
    // Squeezed: the text needs more than one line, yet its box is under four characters wide.
    const left = Math.min(...rects.map(r => r.left)), right = Math.max(...rects.map(r => r.right));
    if ([...text].length > 4 && lineTops(rects) > 1 && right - left < 4 * fontSize) {
      problems.push(`squeezed: "${text.slice(0, 30)}" in ${Math.round(right - left)} px`
                    + ` over ${lineTops(rects)} lines (${describe(el)})`);
    }
    // A plain word (letters only: not an address, a code or an identifier) broken across lines.
    if (!el.closest('.mono, code, pre')) {
      const raw = node.textContent;
      for (const m of raw.matchAll(/\S+/g)) {
        const bare = m[0].replace(/^[(“"'‘「（]+|[)”"'’」）.,:;!?、。]+$/g, '');
        if (!/^[A-Za-z][A-Za-z'’]{2,}$/.test(bare)) continue;
        const start = m.index + m[0].indexOf(bare);
        range.setStart(node, start);
        range.setEnd(node, start + bare.length);
        if (lineTops([...range.getClientRects()]) > 1) {
          problems.push(`word broken across lines: "${bare}" (${describe(el)})`);
        }
      }
    }
    // English page: Japanese only where there is no English, and marked as such.
    if (english && /[\u3040-\u30ff\u3400-\u9fff]/.test(text) && !(notJapaneseIn && el.closest(notJapaneseIn))) {
      const lang = (el.closest('[lang]') || document.documentElement).lang;
      if (!lang.startsWith('ja')) {
        problems.push(`Japanese on an English page, not marked lang="ja": "${text.slice(0, 40)}" (${describe(el)})`);
      }
    }
  }

  // Every control wholly on the screen; a one-word button label on one line.
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    // A text area's own text is not read as page text above, but the box itself must fit.
    if (offstage(el.tagName === 'TEXTAREA' ? el.parentElement : el) || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    const label = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    if (r.left < -1 || r.right > vw + 1) {
      problems.push(`cut off at the screen's edge (${Math.round(r.left)}–${Math.round(r.right)} px):`
                    + ` ${describe(el)} "${label.slice(0, 30)}"`);
    }
    // One word: Latin letters without a space, or a short Japanese label (「取り下げる」); a long
    // Japanese sentence without spaces may wrap like any sentence.
    const isButton = el.matches('button, input[type=submit], input[type=button], .button');
    const oneWord = /^[A-Za-z'’-]+$/.test(label) || (!/\s/.test(label) && [...label].length <= 8);
    if (isButton && label && oneWord) {
      range.selectNodeContents(el);
      const s = getComputedStyle(el);
      const lineHeight = s.lineHeight === 'normal' ? 1.2 * parseFloat(s.fontSize) : parseFloat(s.lineHeight);
      const inner = r.height - ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth']
        .reduce((sum, p) => sum + parseFloat(s[p]), 0);
      const lines = el.tagName === 'INPUT' ? Math.round(inner / lineHeight) : lineTops([...range.getClientRects()]);
      if (lines > 1 || inner > 1.5 * lineHeight) {
        problems.push(`one-word button label on ${Math.max(lines, 2)} lines: "${label}" (${describe(el)})`);
      }
    }
  }
  return problems;
}
"""
