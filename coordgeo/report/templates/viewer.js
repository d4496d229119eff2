/* coordgeo report: interactive 3D views of coordination spheres and complexes.
 *
 * Each <figure data-viewer="BASE64"> holds a static picture (SVG) and, in its
 * data-viewer attribute, base64 of UTF-8 JSON written by coordgeo.report.views:
 *   {"atoms": [{"l": label, "e": element, "c": "#rrggbb", "r": radius, "x", "y", "z"}],
 *    "bonds": [[i, j, "#rrggbb" or null, text]], "labels": true|false}
 * When the figure comes into view it is drawn with 3Dmol.js (shipped with the site, see
 * 3Dmol-min.js.LICENSE.txt): balls, bonds (one colour, or two halves in the colours of
 * their atoms), labels drawn on the canvas. Drag to rotate, wheel to zoom, right-drag or
 * ctrl-drag to move. Without 3Dmol.js or WebGL the static picture stays.
 * Text from the data is only ever drawn on the canvas or set as textContent.
 */
(function () {
  "use strict";
  var ZOOM = 1.25; // zoomTo leaves room for any rotation; start a little closer

  function decode(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
    return JSON.parse(new TextDecoder("utf-8").decode(bytes));
  }

  function point(a) {
    return { x: a.x, y: a.y, z: a.z };
  }

  function button(text, title, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "md-button cg-viewer-button";
    b.textContent = text;
    b.title = title;
    b.addEventListener("click", action);
    return b;
  }

  // Antialiasing (3Dmol draws at twice the size) is cheap on a graphics card and very
  // slow on a software renderer (SwiftShader, llvmpipe: headless browsers, remote desktops).
  var software = null;
  function softwareRenderer() {
    if (software === null) {
      software = true;
      try {
        var gl = document.createElement("canvas").getContext("webgl");
        if (gl) {
          var info = gl.getExtension("WEBGL_debug_renderer_info");
          var name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
          software = /swiftshader|llvmpipe|software/i.test(name);
          var lose = gl.getExtension("WEBGL_lose_context");
          if (lose) lose.loseContext();
        }
      } catch (err) {
        software = true;
      }
    }
    return software;
  }

  function draw(figure) {
    if (figure.dataset.state) return;
    figure.dataset.state = "loading";
    var data;
    try {
      data = decode(figure.dataset.viewer);
    } catch (err) {
      figure.dataset.state = "bad-data";
      return;
    }
    if (typeof window.$3Dmol === "undefined") {
      figure.dataset.state = "no-viewer";
      return;
    }
    var box = document.createElement("div");
    box.className = "cg-viewer-canvas";
    figure.insertBefore(box, figure.firstChild);
    var viewer = null;
    try {
      viewer = window.$3Dmol.createViewer(box, {
        backgroundColor: "white",
        backgroundAlpha: 0,
        antialias: !softwareRenderer(),
      });
    } catch (err) {
      viewer = null;
    }
    if (!viewer) {
      box.remove();
      figure.dataset.state = "no-webgl";
      return;
    }
    var info = document.createElement("div");
    info.className = "cg-viewer-info";
    info.textContent = "Drag to rotate, wheel to zoom; point at a bond for its length.";
    var atoms = data.atoms || [];
    atoms.forEach(function (a) {
      viewer.addSphere({ center: point(a), radius: a.r, color: a.c, quality: 3 });
    });
    (data.bonds || []).forEach(function (b) {
      var p = atoms[b[0]];
      var q = atoms[b[1]];
      if (!p || !q) return;
      var spec = {
        radius: 0.11,
        fromCap: 1,
        toCap: 1,
        hoverable: true,
        clickable: true,
        hover_callback: function () {
          info.textContent = b[3];
        },
        unhover_callback: function () {},
        callback: function () {
          info.textContent = b[3];
        },
      };
      if (b[2]) {
        viewer.addCylinder(Object.assign({ start: point(p), end: point(q), color: b[2] }, spec));
      } else {
        var mid = { x: (p.x + q.x) / 2, y: (p.y + q.y) / 2, z: (p.z + q.z) / 2 };
        viewer.addCylinder(Object.assign({ start: point(p), end: mid, color: p.c }, spec));
        viewer.addCylinder(Object.assign({ start: mid, end: point(q), color: q.c }, spec));
      }
    });
    var shown = !!data.labels;
    function labels() {
      viewer.removeAllLabels();
      if (shown) {
        atoms.forEach(function (a) {
          if (a.q) return; // an H of a complex: unlabelled
          viewer.addLabel(a.l, {
            position: point(a),
            screenOffset: { x: 0, y: -(8 + 18 * a.r) },
            fontSize: 11,
            fontColor: "black",
            backgroundColor: "white",
            backgroundOpacity: 0.7,
            inFront: true,
            alignment: "bottomCenter",
          });
        });
      }
      viewer.render();
    }
    viewer.setHoverDuration(50);
    function home() {
      viewer.zoomTo();
      viewer.zoom(ZOOM);
    }
    home();
    var first = viewer.getView();
    labels();
    var bar = document.createElement("div");
    bar.className = "cg-viewer-bar";
    bar.appendChild(
      button("Labels", "Show or hide the atom labels", function () {
        shown = !shown;
        labels();
      })
    );
    bar.appendChild(
      button("Reset view", "Back to the first view", function () {
        viewer.setView(first);
        viewer.render();
      })
    );
    bar.appendChild(info);
    figure.insertBefore(bar, box.nextSibling);
    figure.querySelectorAll("img").forEach(function (img) {
      img.style.display = "none"; // the static picture: still linked in the caption
    });
    figure.classList.add("cg-viewer-ready");
    figure.dataset.state = "ready";
  }

  function start() {
    var figures = Array.prototype.slice.call(document.querySelectorAll("figure[data-viewer]"));
    if (!figures.length) return;
    if (!("IntersectionObserver" in window)) {
      figures.forEach(draw);
      return;
    }
    // one WebGL context per view, made when the view comes near the screen
    var observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            draw(entry.target);
          }
        });
      },
      { rootMargin: "200px" }
    );
    figures.forEach(function (f) {
      observer.observe(f);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
