// Draws the repository site's locator map, content/india-russia.png: India and Russia in the
// parties' colours on Natural Earth's 1:110m country outlines (the npm package world-atlas), in the
// same Albers equal-area conic projection as the corridors map. Unlike that map, this one is a
// raster on purpose: it is a plain Markdown image on the home page, so bilat's image pipeline makes
// its smaller widths and WebP variants, and a phone never downloads the 2,400-pixel original.
//
// Run once when the map changes (`npm install && npm run locator` in this folder); the PNG is
// committed, so building the site needs neither Node nor these packages. The labels use the Noto Sans
// Bold in ../../fonts (SIL Open Font Licence), so the picture does not depend on system fonts.
//
// Natural Earth data is in the public domain (https://www.naturalearthdata.com/about/terms-of-use/);
// world-atlas, topojson-client and d3-geo are ISC-licensed, @resvg/resvg-js MPL-2.0; none of their
// code is copied into the repository.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { feature, mesh } from "topojson-client";
import { geoConicEqualArea, geoPath } from "d3-geo";
import { Resvg } from "@resvg/resvg-js";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const topo = JSON.parse(readFileSync(here("node_modules/world-atlas/countries-110m.json"), "utf8"));
const site = readFileSync(here("../../site.yaml"), "utf8");
const OUT = here("../../content/india-russia.png");

const WIDTH = 2400;
const HEIGHT = 1600;
// ISO 3166-1 numeric codes of the two parties, and their codes in site.yaml (for their colours).
const PARTIES = { "356": "in", "643": "ru" };
const colour = (code) => {
  const m = site.match(new RegExp(`code: ${code}, colour: "(#[0-9a-fA-F]{6})"`));
  if (!m) throw new Error(`site.yaml has no colour for party ${code}`);
  return m[1];
};

const countries = feature(topo, topo.objects.countries).features;
const parties = countries.filter((f) => PARTIES[f.id]);
const projection = geoConicEqualArea()
  .parallels([20, 60])
  .rotate([-95, 0])
  .fitExtent(
    [
      [80, 60],
      [WIDTH - 80, HEIGHT - 60],
    ],
    { type: "FeatureCollection", features: parties },
  );
const path = geoPath(projection);
const round = (d) => d.replace(/(\d+\.\d)\d+/g, "$1");

const labels = [
  { text: "RUSSIA", at: [95, 63], size: 96 },
  { text: "INDIA", at: [78.5, 22], size: 72 },
];

const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
  `<rect width="${WIDTH}" height="${HEIGHT}" fill="#dbe7f3"/>`,
  ...countries
    .filter((f) => !PARTIES[f.id])
    .map((f) => `<path d="${round(path(f) ?? "")}" fill="#eceae4"/>`),
  `<path d="${round(path(mesh(topo, topo.objects.countries, (a, b) => a !== b)))}" fill="none" stroke="#b9b6ad" stroke-width="2"/>`,
  ...parties.map(
    (f) => `<path d="${round(path(f))}" fill="${colour(PARTIES[f.id])}" stroke="#ffffff" stroke-width="3"/>`,
  ),
  ...labels.map(({ text, at, size }) => {
    const [x, y] = projection(at);
    return `<text x="${x.toFixed(0)}" y="${y.toFixed(0)}" font-family="Noto Sans" font-weight="700" font-size="${size}" letter-spacing="6" fill="#ffffff" text-anchor="middle">${text}</text>`;
  }),
  `</svg>`,
].join("\n");

const png = new Resvg(svg, {
  font: {
    fontFiles: [here("../../fonts/NotoSans-Bold.ttf")],
    loadSystemFonts: false,
    defaultFontFamily: "Noto Sans",
  },
}).render().asPng();
writeFileSync(OUT, png);
console.log(`wrote ${OUT}: ${WIDTH}×${HEIGHT}, ${png.length} bytes`);
