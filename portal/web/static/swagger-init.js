/* Swagger UI for /api/docs and /api/docs/ogc: the OpenAPI document's URL comes from the
   page (data-spec on #swagger-ui), so the page needs no inline script. */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || !window.SwaggerUIBundle) {
    return;
  }
  window.swaggerUi = window.SwaggerUIBundle({
    url: node.getAttribute("data-spec"),
    domNode: node,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null, // no badge fetched from an outside validator
    // the portal API opens as a list; the OGC API has a section per collection (70+):
    // closed, open the one you need
    docExpansion: node.getAttribute("data-expansion") || "list",
    defaultModelsExpandDepth: 0
  });
})();
