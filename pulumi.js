module.exports = require("./dist/provider/pulumi");
