/**
 * Common passwords (and the words they are built from), lower case: a password equal to one of these, or one of these
 * followed only by digits and punctuation ("Password2024!"), is refused. Collected from the most frequent entries of
 * public breach-corpus lists (SecLists, NCSC top 100k), limited to what a 10-character minimum still lets through.
 */
export const COMMON_PASSWORDS: readonly string[] = [
  'password', 'passw0rd', 'p@ssword', 'p@ssw0rd', 'pass', 'passwort', 'motdepasse', 'contraseña', 'contrasena', 'senha',
  'admin', 'administrator', 'root', 'toor', 'sluice', 'mysql', 'mariadb', 'database', 'letmein', 'welcome', 'welcome1',
  'changeme', 'change-me', 'default', 'secret', 'topsecret', 'guest', 'login', 'master', 'superuser', 'test', 'testing',
  'tester', 'demo', 'user', 'qwerty', 'qwertyuiop', 'qwertyuiop[]', 'qwertzuiop', 'azertyuiop', 'asdfghjkl', 'asdfghjkl;',
  'zxcvbnm', 'zxcvbnm,./', '1q2w3e4r', '1q2w3e4r5t', '1q2w3e4r5t6y', 'q1w2e3r4', 'q1w2e3r4t5', 'qazwsx', 'qazwsxedc',
  '1qaz2wsx', '1qaz2wsx3edc', 'zaq12wsx', 'zaq1zaq1', 'qweasdzxc', 'asdfasdf', 'asdf', 'qwer', 'abc', 'abcd', 'abcdef',
  'abcdefg', 'abcdefgh', 'abcdefghij', 'abc123', 'abcd1234', 'a1b2c3', 'a1b2c3d4', 'a1b2c3d4e5', 'aa', 'iloveyou',
  'iloveyou!', 'loveyou', 'love', 'lovely', 'sunshine', 'princess', 'monkey', 'dragon', 'football', 'baseball',
  'basketball', 'soccer', 'hockey', 'superman', 'batman', 'spiderman', 'starwars', 'pokemon', 'master', 'shadow',
  'michael', 'jennifer', 'jordan', 'hunter', 'ranger', 'buster', 'tigger', 'charlie', 'robert', 'thomas', 'daniel',
  'andrew', 'joshua', 'matthew', 'jessica', 'ashley', 'nicole', 'freedom', 'whatever', 'trustno1', 'hello', 'helloworld',
  'hello-world', 'computer', 'internet', 'samsung', 'google', 'apple', 'microsoft', 'windows', 'linux', 'ubuntu',
  'summer', 'winter', 'spring', 'autumn', 'january', 'february', 'october', 'november', 'december', 'monday', 'friday',
  'mustang', 'ferrari', 'porsche', 'chelsea', 'liverpool', 'arsenal', 'barcelona', 'juventus', 'cookie', 'chocolate',
  'cheese', 'pepper', 'ginger', 'orange', 'banana', 'purple', 'yellow', 'silver', 'golden', 'diamond', 'flower',
  'butterfly', 'angel', 'baby', 'babygirl', 'family', 'forever', 'friends', 'lovers', 'secret123', 'passpass',
  'password1', 'password12', 'password123', 'password1234', 'pa55word', 'pa$$word', 'access', 'letmein!', 'mypassword',
  'mysecret', 'newpassword', 'oldpassword', 'nopassword', 'yourpassword', 'thepassword', 'supersecret', 'company',
  'office', 'server', 'backup', 'private', 'security', 'system', 'manager', 'operator', 'viewer', 'support', 'service',
  'temp', 'temporary', 'startrek', 'matrix', 'killer', 'pussy', 'fuckyou', 'fuckoff', 'asshole', 'bitch', 'cowboys',
  'eagles', 'yankees', 'lakers', 'london', 'paris', 'berlin', 'newyork', 'jesus', 'christ', 'blessed', 'god',
  'qwerty123', 'qwerty1234', 'qwertyuiop123', '1234qwer', '12qwaszx', '123qwe', '123qweasd', '123qweasdzxc', 'qwe123',
  'qweqweqwe', 'zxczxczxc', 'asdasdasd', '123abc', '123456abc', 'abc12345', 'abcabc', 'iloveu', 'mylove', 'myspace',
  'facebook', 'instagram', 'twitter', 'youtube', 'minecraft', 'fortnite', 'roblox', 'gaming', 'player', 'gamer',
  'correcthorsebatterystaple', 'correct horse battery staple',
];
