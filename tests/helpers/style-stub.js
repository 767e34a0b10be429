/** What a component's stylesheet import gives in jsdom tests: nothing (see jest.config.js). */
module.exports = {};
