// Start Swagger UI on the service's OpenAPI document (settings from the page's data attributes).
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("swagger-ui-container");
  const settings = JSON.parse(container.dataset.settings || "{}");
  window.ui = SwaggerUIBundle(Object.assign(
    { url: container.dataset.specUrl, dom_id: "#swagger-ui-container" }, settings));
});
