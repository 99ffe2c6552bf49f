// What the page's HTML hands the script: the settings the view rendered, and elements by id.

export const settings = JSON.parse(document.getElementById("kiosk-settings").textContent);

export const $ = (id) => document.getElementById(id);
