import { describe as describeResult, FileResult, summarise, toCsv } from './classify';

const labelled: FileResult = {
  file: '/photos/cat.jpg',
  jobId: 'j1',
  status: 'reported',
  label: 'tabby',
  probability: 0.914,
};
const refused: FileResult = {
  file: '/photos/odd, "name".jpg',
  status: 'refused',
  error: 'unsupported_image_format: not an image',
};

describe('the command-line client’s output', () => {
  it('says how each file ended, by name or whole path', () => {
    expect(describeResult(labelled)).toBe('cat.jpg: tabby (91 %)');
    expect(describeResult(refused, true)).toBe(
      '/photos/odd, "name".jpg: refused (unsupported_image_format: not an image)',
    );
  });

  it('writes CSV with a header, quoting what needs it', () => {
    expect(toCsv([labelled, refused])).toBe(
      'file,jobId,status,label,probability,error\n' +
        '/photos/cat.jpg,j1,reported,tabby,0.914,\n' +
        '"/photos/odd, ""name"".jpg",,refused,,,unsupported_image_format: not an image\n',
    );
  });

  it('sums a run up: how many, how fast, and each file without a label with its reason', () => {
    expect(summarise([labelled, { ...refused, resumed: true }], 0.5)).toBe(
      '2 images in 0.5 s (4.0 images/s): 1 labelled, 1 without a label; 1 from an earlier run\n' +
        '  /photos/odd, "name".jpg: refused: unsupported_image_format: not an image',
    );
  });
});
