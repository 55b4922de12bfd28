/* global SwaggerUIBundle */
// The docs page: Swagger UI over the service's own OpenAPI document.
SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', deepLinking: true });
