/* The API docs page (templates/api/swagger_ui.html): a Swagger UI plugin that SPECTACULAR_SETTINGS names.
 *
 * Swagger UI draws each operation's path as a deep link inside the operation's toggle button, a link
 * inside a button that keyboards and screen readers cannot reach apart (axe's nested-interactive;
 * swagger-api/swagger-ui#9570, open). The path is drawn as plain text instead. Deep links still
 * work: opening an operation puts its link in the address bar, and the tags' headings keep theirs.
 */
"use strict";

window.PatrolApiDocs = () => ({
  wrapComponents: {
    OperationSummaryPath: (Original, system) => (props) =>
      system.React.createElement(Original, {
        ...props,
        operationProps: props.operationProps.set("isDeepLinkingEnabled", false),
      }),
  },
});
