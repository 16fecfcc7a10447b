import { loadCSS, loadJS } from "@web/core/assets";

const LIB = "/hotline_case/static/lib";

/**
 * Leaflet and its marker clusters, vendored in the addon (no CDN): loaded once, when a map first shows.
 */
export async function loadLeaflet() {
    await Promise.all([
        loadCSS(`${LIB}/leaflet/leaflet.css`),
        loadCSS(`${LIB}/leaflet.markercluster/MarkerCluster.css`),
        loadCSS(`${LIB}/leaflet.markercluster/MarkerCluster.Default.css`),
        loadJS(`${LIB}/leaflet/leaflet.js`),
    ]);
    // the cluster plugin extends the global L: after Leaflet only
    await loadJS(`${LIB}/leaflet.markercluster/leaflet.markercluster.js`);
    return window.L;
}
