/**
 * @module
 * The Durable Object location hint nearest a request, from what Cloudflare tells a Worker about where it came
 * from (`request.cf`: `continent`, `country`, `longitude`). Used to read near the reader when a deployment enables
 * it (`EDGELOG_READ_NEAREST=true`): the store then serves the fetch from that region's in-sync replica, if the
 * partition has one there. Pure, so it is tested without a Worker.
 *
 * The client's position rather than `colo` (the data centre that took the request): both are near each other, and
 * turning the 300-odd colo codes into regions needs a table that goes stale as Cloudflare adds data centres, while
 * continent, country and longitude map onto the nine hints with a few rules.
 */

/** The fields of `request.cf` this reads (all optional: absent outside Cloudflare, and in tests). */
export interface RequestGeo {
  /** Two letters: `NA`, `SA`, `EU`, `AS`, `OC`, `AF`, `AN`. */
  readonly continent?: unknown;
  /** ISO 3166-1 alpha-2. */
  readonly country?: unknown;
  /** Degrees east, as a string (Cloudflare's format) or number. */
  readonly longitude?: unknown;
}

/**
 * West of this longitude, North America is `wnam` (the Rockies and the Pacific); east of it `enam`. About the
 * 100th meridian, which splits the continent's population roughly where Cloudflare's two regions meet.
 */
const WEST_NORTH_AMERICA_BELOW = -100;

/** East of this longitude a European country not in the list below counts as eastern Europe. */
const EAST_EUROPE_FROM = 20;

/** Countries of Cloudflare's `eeur` (eastern Europe) hint. */
const EASTERN_EUROPE = new Set([
  "AL",
  "BA",
  "BG",
  "BY",
  "CZ",
  "EE",
  "GR",
  "HR",
  "HU",
  "LT",
  "LV",
  "MD",
  "ME",
  "MK",
  "PL",
  "RO",
  "RS",
  "RU",
  "SI",
  "SK",
  "UA",
  "XK",
]);

/** Countries of Cloudflare's `me` (Middle East) hint, wherever `continent` places them. */
const MIDDLE_EAST = new Set([
  "AE",
  "BH",
  "CY",
  "EG",
  "IL",
  "IQ",
  "IR",
  "JO",
  "KW",
  "LB",
  "OM",
  "PS",
  "QA",
  "SA",
  "SY",
  "TR",
  "YE",
]);

/** The location hint nearest the request, or `undefined` when `cf` says too little (then the leader serves). */
export function nearestRegion(cf: RequestGeo | undefined): string | undefined {
  if (cf === undefined || cf === null) return undefined;
  const continent = typeof cf.continent === "string" ? cf.continent.toUpperCase() : undefined;
  const country = typeof cf.country === "string" ? cf.country.toUpperCase() : undefined;
  const longitude = parseLongitude(cf.longitude);
  if (country !== undefined && MIDDLE_EAST.has(country)) return "me";
  switch (continent) {
    case "NA":
      if (longitude !== undefined) return longitude < WEST_NORTH_AMERICA_BELOW ? "wnam" : "enam";
      return "enam";
    case "SA":
      return "sam";
    case "EU":
      if (country !== undefined) return EASTERN_EUROPE.has(country) ? "eeur" : "weur";
      return longitude !== undefined && longitude >= EAST_EUROPE_FROM ? "eeur" : "weur";
    case "AS":
      return "apac";
    case "OC":
    case "AN":
      return "oc";
    case "AF":
      return "afr";
    default:
      return undefined;
  }
}

function parseLongitude(value: unknown): number | undefined {
  const number = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isFinite(number) && number >= -180 && number <= 180 ? number : undefined;
}
