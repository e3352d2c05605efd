window.bilatFixture = true;
