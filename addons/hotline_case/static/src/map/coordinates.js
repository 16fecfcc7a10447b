/**
 * WGS-84 (stored, GPS) <-> GCJ-02 (the offset coordinates Gaode's tiles are drawn in).
 * The published GCJ-02 approximation: outside mainland China the two systems are the same.
 */
const A = 6378245.0;
const EE = 0.00669342162296594323;

function outOfChina(lat, lon) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x, y) {
    let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
    ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
    return ret;
}

function transformLon(x, y) {
    let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
    ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
    return ret;
}

export function wgs84ToGcj02(lat, lon) {
    if (outOfChina(lat, lon)) {
        return [lat, lon];
    }
    let dLat = transformLat(lon - 105.0, lat - 35.0);
    let dLon = transformLon(lon - 105.0, lat - 35.0);
    const radLat = (lat / 180.0) * Math.PI;
    let magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    const sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
    dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lon + dLon];
}

/** The inverse, by a few fixed-point steps (well under a metre). */
export function gcj02ToWgs84(lat, lon) {
    let wgsLat = lat;
    let wgsLon = lon;
    for (let i = 0; i < 5; i++) {
        const [gLat, gLon] = wgs84ToGcj02(wgsLat, wgsLon);
        wgsLat -= gLat - lat;
        wgsLon -= gLon - lon;
    }
    return [wgsLat, wgsLon];
}

/** Functions from stored coordinates to the tiles' and back, for the map settings' coordinate system. */
export function projection(settings) {
    if (settings.tile_url && settings.tile_crs === "gcj02") {
        return { toMap: wgs84ToGcj02, fromMap: gcj02ToWgs84 };
    }
    return { toMap: (lat, lon) => [lat, lon], fromMap: (lat, lon) => [lat, lon] };
}

function tileSubdomains(url) {
    if (url.includes("tianditu")) {
        return "01234567";
    }
    return url.includes("autonavi.com") ? "1234" : "abc";
}

/** A Leaflet map on the settings' tiles, or on a blank background when there are none. */
export function createBaseMap(L, element, settings, options = {}) {
    const center = settings.center || { lat: 35, lon: 105, zoom: 4 };
    // maxZoom on the map itself: without a tile layer nothing else sets it (the clusters need it)
    const map = L.map(element, { zoomControl: true, maxZoom: 19, ...options }).setView(
        projection(settings).toMap(center.lat, center.lon),
        center.zoom
    );
    // the form and the control panel settle after the map is created: keep its centre when its size changes
    element.hotlineMap = map; // for tours and debugging
    const observer = new ResizeObserver(() => map.invalidateSize());
    observer.observe(element);
    map.on("unload", () => observer.disconnect());
    if (settings.tile_url) {
        L.tileLayer(settings.tile_url, {
            maxZoom: 19,
            attribution: settings.attribution || "",
            subdomains: tileSubdomains(settings.tile_url),
        }).addTo(map);
    }
    return map;
}
